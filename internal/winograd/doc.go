// Package winograd computes 3x3, stride-1, zero-padded convolutions with
// Winograd's minimal filtering F(m x m, 3 x 3) (Lavin and Gray 2016): the
// forward pass fused with bias and ReLU, and the input gradient, from
// filters transformed once. Its C kernels are vectorised for AVX2 with FMA
// and for AVX-512, each compiled for its own target and chosen at run time.
package winograd
