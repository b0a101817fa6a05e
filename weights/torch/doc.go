// Package torch reads torchvision's VGG-19 from a torch.save state dict (zip
// or legacy format) into vgg.Weights, with a pickle reader that builds data
// and never runs code.
package torch
