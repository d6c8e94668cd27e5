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
	"strings"
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
	cfgPath := fs.String("config", "", "TOML configuration `file` (default: the embedded default; with -resume: DIR/config.toml)")
	var sets cli.Strings
	fs.Var(&sets, "set", "override one key, e.g. -set train.lr=1e-3 (repeatable)")
	out := fs.String("out", "", "run `directory` (default runs/<data>-<date>-<time>)")
	resume := fs.Bool("resume", false, "continue the run in -out DIR: its config.toml, from its ckpt.safetensors")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	var cfg config.Config
	var err error
	switch {
	case *resume && *out == "":
		return cli.Inputf("-resume needs -out DIR naming the run to continue")
	case *resume:
		runCfg := filepath.Join(*out, "config.toml")
		if _, serr := os.Stat(runCfg); serr != nil {
			return cli.Inputf("-resume: %s is not a run directory (no config.toml, no ckpt.safetensors)", *out)
		}
		cfg, err = config.ResolveResume(runCfg, *cfgPath, sets)
	default:
		cfg, err = config.Resolve(*cfgPath, sets)
	}
	if err != nil {
		return cli.Input(err)
	}
	if *out == "" {
		*out = filepath.Join("runs", cfg.Data.Kind+"-"+time.Now().Format("20060102-150405"))
	}
	interrupt := make(chan struct{})
	stop := cli.OnInterrupt(func() {
		fmt.Fprintln(os.Stderr, "train: interrupted: stopping after this step with a checkpoint (interrupt again to quit at once)")
		close(interrupt)
	})
	defer stop()
	o := pipeline.Options{Out: *out, Resume: *resume, Interrupt: interrupt, Log: os.Stdout, Progress: os.Stderr, Terminal: cli.IsTerminal(os.Stderr)}
	res, err := pipeline.Run(cfg, o)
	if err != nil {
		return err
	}
	if res.Interrupted != "" {
		if strings.HasPrefix(res.Interrupted, "stage 2") {
			fmt.Printf("interrupted: %s stopped after step %d of %d; its checkpoint is %s\n", res.Interrupted, res.Steps, cfg.Train.Steps, res.Ckpt)
		} else { // the autoencoder or the classifier
			fmt.Printf("interrupted: the %s stopped after step %d; its state is %s\n", res.Interrupted, res.Steps,
				filepath.Join(*out, res.Interrupted+".state.safetensors"))
		}
		fmt.Printf("continue with: %s -out %s -resume\n", self(), *out)
		return nil
	}
	fmt.Printf("results in %s:\n", *out)
	for _, f := range res.Files {
		fmt.Printf("  %s\n", f)
	}
	fmt.Println(sampleHint(cfg, res.Ckpt))
	return nil
}

// sampleHint is a bin/sample command that works for the run.
func sampleHint(cfg config.Config, ckpt string) string {
	classes := cfg.Model.NumClasses > 0
	switch {
	case cfg.Data.Images() && classes:
		return fmt.Sprintf("sample with: bin/sample -ckpt %s -class all -per-class 10 -png grid.png -npy samples.npy", ckpt)
	case cfg.Data.Images():
		return fmt.Sprintf("sample with: bin/sample -ckpt %s -n 100 -png grid.png -npy samples.npy", ckpt)
	case cfg.Data.Latents() && classes: // latents: no picture, -npy writes them for the user's decoder
		return fmt.Sprintf("sample with: bin/sample -ckpt %s -n 64 -class 0 -npy latents.npy", ckpt)
	case cfg.Data.Latents():
		return fmt.Sprintf("sample with: bin/sample -ckpt %s -n 64 -npy latents.npy", ckpt)
	}
	return fmt.Sprintf("sample with: bin/sample -ckpt %s -n 2000 -png samples.png", ckpt)
}

// self is how this command was invoked (for the resume line).
func self() string {
	if len(os.Args) > 0 && strings.Contains(os.Args[0], string(filepath.Separator)) {
		return os.Args[0]
	}
	return "bin/train"
}
