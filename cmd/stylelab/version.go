package main

import "github.com/stylelab/stylelab/experiments"

func version() string {
	v, commit := experiments.Version()
	if commit != "" {
		return v + " (" + commit + ")"
	}
	return v
}
