// Package emu is placeholder.
package emu

//go:generate go run gen.go
