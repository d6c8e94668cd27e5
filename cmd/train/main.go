// Command train trains a flow-matching velocity transformer.
//
//	train [-config FILE.toml] [-set key=value]... [-out DIR] [-resume]
//
// With no flags it trains the embedded default configuration. It writes
// DIR/config.toml, DIR/ckpt.safetensors, DIR/metrics.jsonl and figures.
// Exit status: 0 ok, 2 bad input, 1 other failure.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/latentflow/latentflow/config"
	"github.com/latentflow/latentflow/internal/cli"
	"github.com/latentflow/latentflow/pipeline"
)

func main() { cli.Exit("train", inputErrors(run(os.Args[1:]))) }

// inputErrors marks the run's input errors (*pipeline.InputError) for exit status 2.
func inputErrors(err error) error {
	var ie *pipeline.InputError
	if errors.As(err, &ie) {
		return cli.Input(err)
	}
	return err
}

func run(args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	cfgPath := fs.String("config", "", "TOML configuration `file` (default: the embedded default)")
	var sets cli.Strings
	fs.Var(&sets, "set", "override one key, e.g. -set train.lr=1e-3 (repeatable)")
	out := fs.String("out", "", "run `directory` (default runs/<data>-<date>-<time>)")
	resume := fs.Bool("resume", false, "continue from DIR/ckpt.safetensors (needs -out)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Resolve(*cfgPath, sets)
	if err != nil {
		return cli.Input(err)
	}
	if *resume && *out == "" {
		return cli.Inputf("-resume needs -out DIR naming the run to continue")
	}
	if *out == "" {
		*out = filepath.Join("runs", cfg.Data.Kind+"-"+time.Now().Format("20060102-150405"))
	}
	o := pipeline.Options{Out: *out, Resume: *resume, Log: os.Stdout, Progress: os.Stderr, Terminal: cli.IsTerminal(os.Stderr)}
	res, err := pipeline.Run(cfg, o)
	if err != nil {
		return err
	}
	fmt.Printf("results in %s:\n", *out)
	for _, f := range res.Files {
		fmt.Printf("  %s\n", f)
	}
	switch {
	case cfg.Data.Images() && cfg.Model.NumClasses > 0:
		fmt.Printf("sample with: bin/sample -ckpt %s -class all -per-class 10 -png grid.png -npy samples.npy\n", res.Ckpt)
	case cfg.Data.Images():
		fmt.Printf("sample with: bin/sample -ckpt %s -n 100 -png grid.png -npy samples.npy\n", res.Ckpt)
	default:
		fmt.Printf("sample with: bin/sample -ckpt %s -n 2000 -png samples.png\n", res.Ckpt)
	}
	return nil
}
