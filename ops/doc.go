// Package ops holds the fast CPU kernels of Stylelab's network as gorgonia
// operations: 3x3 convolution fused with ReLU (Winograd's minimal filtering
// or im2col and sgemm), 2x2 max and average pooling, and the generic adapter
// that loss terms use to become gorgonia ops.
//
// Tensors are float32, batch 1, channel-major (C, H, W). Weights live inside
// the ops rather than in the graph, so gorgonia differentiates only with
// respect to the image. A Workspace runs the kernels and holds their memory:
// scratch buffers, transformed filters, the outputs that graph builders mark
// transient and the backward pass's gradients (two buffers shared by all),
// and outputs released by discarded graphs. Other outputs belong to their op,
// which reuses them while the image size stays the same. Backward kernels are
// ops too, built by each op's SymDiff.
package ops
