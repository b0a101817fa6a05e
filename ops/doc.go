// Package ops holds the fast CPU kernels of Stylelab's network as gorgonia
// operations: 3x3 convolution fused with ReLU, 2x2 max and average pooling,
// and the generic adapter that loss terms use to become gorgonia ops.
//
// Tensors are float32, batch 1, channel-major (C, H, W). Weights live inside
// the ops rather than in the graph, so gorgonia differentiates only with
// respect to the image. Every op owns its output buffer and reuses it while
// the image size stays the same; temporary buffers come from a shared
// Workspace. Backward kernels are ops too, built by each op's SymDiff.
package ops
