// Package experiments owns the style transfer itself: a run's configuration
// (content and style images, layers and their weights, alpha and beta, loss
// scaling, optimizer, initialisation, size and scales, colour handling), the
// objective built on VGG-19 and the loss terms, the L-BFGS and Adam
// optimizers, and the run loop with progress, snapshots and cancellation.
package experiments
