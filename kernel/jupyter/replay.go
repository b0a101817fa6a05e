package jupyter

import (
	"encoding/hex"
	"sync"
)

// DigestHistory is how many signatures a kernel remembers to recognise a
// replayed message, as ipykernel's Session.digest_history_size. Older ones
// are forgotten first; a replay of a message that old is not recognised.
const DigestHistory = 1 << 16

// digests is a bounded set of the signatures received: once full, adding
// one forgets the oldest. Its memory is about 50 bytes per signature.
type digests struct {
	mu    sync.Mutex
	set   map[[32]byte]struct{}
	order [][32]byte // ring, oldest at next once full
	next  int
}

func newDigests(capacity int) *digests {
	return &digests{set: make(map[[32]byte]struct{}, capacity), order: make([][32]byte, 0, capacity)}
}

// add records a hex HMAC-SHA256 signature and reports whether it is new.
func (d *digests) add(sig []byte) bool {
	var key [32]byte
	if len(sig) != hex.EncodedLen(len(key)) || cap(d.order) == 0 {
		return true // not a SHA-256 digest, or no memory: nothing to compare
	}
	if _, err := hex.Decode(key[:], sig); err != nil {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.set[key]; ok {
		return false
	}
	if len(d.order) < cap(d.order) {
		d.order = append(d.order, key)
	} else {
		delete(d.set, d.order[d.next])
		d.order[d.next] = key
		d.next = (d.next + 1) % len(d.order)
	}
	d.set[key] = struct{}{}
	return true
}
