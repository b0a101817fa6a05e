// Package optim minimises a differentiable function of a float32 vector:
// L-BFGS with optional box bounds and a strong Wolfe line search, and Adam.
// It also owns the stopping rules of a run (Stop): an iteration limit, a
// relative-decrease test on the loss and a projected-gradient test.
package optim
