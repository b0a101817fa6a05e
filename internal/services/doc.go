// Package services starts real PostgreSQL servers and one-node Slurm
// clusters (slurmctld, slurmd and munge) from the Debian packages, each in a
// temporary folder on private ports, for tests and benchmarks, and stops
// them again. Errors say what is missing and how to install it.
package services
