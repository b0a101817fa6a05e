// Package jupyter speaks the Jupyter messaging protocol (version 5.3) over
// ZeroMQ (github.com/go-zeromq/zmq4, pure Go): the connection file, the five
// sockets (shell, control and stdin as ROUTER, iopub as PUB, heartbeat as
// REP) bound at the file's address, the wire format of a message, and its
// HMAC-SHA256 signature. A message whose signature does not verify is
// dropped and logged, never handed on.
package jupyter
