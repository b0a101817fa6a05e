package torch

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
	"strings"
)

// A minimal reader of the Python pickles torch.save writes (protocol 2).

// Python values as the unpickler builds them: nil, bool, int64, *big.Int,
// float64, string, []byte, pyTuple, *pyList, *pyDict, pyGlobal, *pyObject,
// plus *torchStorage and *torchTensor.
type (
	pyTuple  []any
	pyList   struct{ items []any }
	pyGlobal struct{ module, name string }
	pyObject struct {
		class pyGlobal
		args  pyTuple
		state any
	}
	pyMark struct{}
)

// pyDict is an insertion-ordered dict; only str, int, bool and None keys
// are looked up (others are kept but never found).
type pyDict struct {
	keys, vals []any
	at         map[any]int // index of each hashable key
}

// hashable reports whether k is a key pyDict looks up.
func hashable(k any) bool {
	switch k.(type) {
	case string, int64, bool, nil:
		return true
	}
	return false
}

func (d *pyDict) index(k any) int {
	if !hashable(k) { // a tuple key would panic as a map key
		return -1
	}
	if i, ok := d.at[k]; ok {
		return i
	}
	return -1
}

func (d *pyDict) set(k, v any) {
	if i := d.index(k); i >= 0 {
		d.vals[i] = v
		return
	}
	if hashable(k) {
		if d.at == nil {
			d.at = map[any]int{}
		}
		d.at[k] = len(d.keys)
	}
	d.keys, d.vals = append(d.keys, k), append(d.vals, v)
}

func (d *pyDict) get(k any) (any, bool) {
	if i := d.index(k); i >= 0 {
		return d.vals[i], true
	}
	return nil, false
}

func pyTypeName(v any) string {
	switch v := v.(type) {
	case *pyObject:
		return v.class.module + "." + v.class.name + " object"
	case *pyDict:
		return "dict"
	case *pyList:
		return "list"
	case pyTuple:
		return "tuple"
	case *torchTensor:
		return "tensor"
	case nil:
		return "None"
	}
	return fmt.Sprintf("%T", v)
}

// unpickler runs the subset of the pickle machine (protocols 0-5) that
// torch.save emits; it builds data only and never executes code.
type unpickler struct {
	r        *bufio.Reader
	pos      int64
	stack    []any
	marks    []int
	memo     map[int64]any
	storages map[string]*torchStorage
}

func newUnpickler(r *bufio.Reader, storages map[string]*torchStorage) *unpickler {
	return &unpickler{r: r, memo: map[int64]any{}, storages: storages}
}

// bytes reads n bytes. A length the pickle declares is not trusted: the
// buffer grows as bytes arrive, so a pickle claiming gigabytes that it does
// not hold costs no more than it holds.
func (u *unpickler) bytes(n int64) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("negative length %d at byte %d", n, u.pos)
	}
	var b []byte
	if n <= 4096 {
		b = make([]byte, n)
		k, err := io.ReadFull(u.r, b)
		u.pos += int64(k)
		if err != nil {
			return nil, fmt.Errorf("pickle truncated at byte %d: %w", u.pos, io.ErrUnexpectedEOF)
		}
		return b, nil
	}
	var buf bytes.Buffer
	k, err := io.CopyN(&buf, u.r, n)
	u.pos += k
	if err != nil {
		return nil, fmt.Errorf("pickle truncated at byte %d (an item claims %d bytes): %w", u.pos, n, io.ErrUnexpectedEOF)
	}
	return buf.Bytes(), nil
}

func (u *unpickler) uint(n int) (uint64, error) {
	b, err := u.bytes(int64(n))
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func (u *unpickler) line() (string, error) {
	s, err := u.r.ReadString('\n')
	u.pos += int64(len(s))
	if err != nil {
		return "", fmt.Errorf("pickle truncated at byte %d: %w", u.pos, io.ErrUnexpectedEOF)
	}
	return strings.TrimRight(s, "\r\n"), nil
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) <= u.marks[len(u.marks)-1]) {
		return nil, fmt.Errorf("pickle stack underflow at byte %d", u.pos)
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

// popN pops the top n items, not reaching below the innermost MARK.
func (u *unpickler) popN(n int) ([]any, error) {
	floor := 0
	if len(u.marks) > 0 {
		floor = u.marks[len(u.marks)-1]
	}
	if len(u.stack)-n < floor {
		return nil, fmt.Errorf("pickle stack underflow at byte %d", u.pos)
	}
	items := append([]any(nil), u.stack[len(u.stack)-n:]...)
	u.stack = u.stack[:len(u.stack)-n]
	return items, nil
}

func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, fmt.Errorf("pickle MARK missing at byte %d", u.pos)
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 {
		return nil, fmt.Errorf("pickle stack empty at byte %d", u.pos)
	}
	return u.stack[len(u.stack)-1], nil
}

// load runs the machine up to STOP and returns the pickled object.
func (u *unpickler) load() (any, error) {
	for {
		op, err := u.r.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("pickle truncated at byte %d: %w", u.pos, io.ErrUnexpectedEOF)
		}
		u.pos++
		if op == '.' { // STOP
			return u.pop()
		}
		if err := u.step(op); err != nil {
			return nil, err
		}
	}
}

func (u *unpickler) step(op byte) error {
	at := u.pos - 1
	switch op {
	case 0x80: // PROTO
		v, err := u.uint(1)
		if err != nil {
			return err
		}
		if v > 5 {
			return fmt.Errorf("pickle protocol %d is not supported", v)
		}
	case 0x95: // FRAME
		_, err := u.uint(8)
		return err
	case '(':
		u.marks = append(u.marks, len(u.stack))
	case '}':
		u.push(&pyDict{})
	case ']':
		u.push(&pyList{})
	case ')':
		u.push(pyTuple{})
	case 't', 'l', 'd':
		items, err := u.popMark()
		if err != nil {
			return err
		}
		switch op {
		case 't':
			u.push(pyTuple(items))
		case 'l':
			u.push(&pyList{items: items})
		default:
			d := &pyDict{}
			for i := 0; i+1 < len(items); i += 2 {
				d.set(items[i], items[i+1])
			}
			u.push(d)
		}
	case 0x85, 0x86, 0x87: // TUPLE1..3
		items, err := u.popN(int(op-0x85) + 1)
		if err != nil {
			return err
		}
		u.push(pyTuple(items))
	case 'X', 0x8c, 0x8d, 'T', 'U', 'B', 'C', 0x8e: // strings and bytes
		width := map[byte]int{'X': 4, 0x8c: 1, 0x8d: 8, 'T': 4, 'U': 1, 'B': 4, 'C': 1, 0x8e: 8}[op]
		n, err := u.uint(width)
		if err != nil {
			return err
		}
		b, err := u.bytes(int64(n))
		if err != nil {
			return err
		}
		if op == 'B' || op == 'C' || op == 0x8e {
			u.push(b)
		} else {
			u.push(string(b))
		}
	case 'J':
		v, err := u.uint(4)
		u.push(int64(int32(v)))
		return err
	case 'K', 'M':
		v, err := u.uint(map[byte]int{'K': 1, 'M': 2}[op])
		u.push(int64(v))
		return err
	case 0x8a, 0x8b: // LONG1, LONG4
		n, err := u.uint(map[byte]int{0x8a: 1, 0x8b: 4}[op])
		if err != nil {
			return err
		}
		b, err := u.bytes(int64(n))
		if err != nil {
			return err
		}
		u.push(decodeLong(b))
	case 'I', 'L': // text integers (protocol 0)
		s, err := u.line()
		if err != nil {
			return err
		}
		s = strings.TrimSuffix(s, "L")
		switch s {
		case "00":
			u.push(false)
		case "01":
			u.push(true)
		default:
			b, ok := new(big.Int).SetString(s, 10)
			if !ok {
				return fmt.Errorf("pickle integer %q at byte %d", s, at)
			}
			if b.IsInt64() {
				u.push(b.Int64())
			} else {
				u.push(b)
			}
		}
	case 'G':
		v, err := u.bytes(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(v)))
	case 'N':
		u.push(nil)
	case 0x88, 0x89:
		u.push(op == 0x88)
	case 'c': // GLOBAL
		mod, err := u.line()
		if err != nil {
			return err
		}
		name, err := u.line()
		if err != nil {
			return err
		}
		u.push(pyGlobal{mod, name})
	case 0x93: // STACK_GLOBAL
		name, err1 := u.pop()
		mod, err2 := u.pop()
		n, ok1 := name.(string)
		m, ok2 := mod.(string)
		if err1 != nil || err2 != nil || !ok1 || !ok2 {
			return fmt.Errorf("pickle STACK_GLOBAL without module and name at byte %d", at)
		}
		u.push(pyGlobal{m, n})
	case 'q', 'r', 0x94, 'p', 'h', 'j', 'g': // memo
		return u.memoOp(op, at)
	case 'R', 0x81: // REDUCE, NEWOBJ
		args, err1 := u.pop()
		fn, err2 := u.pop()
		g, ok1 := fn.(pyGlobal)
		a, ok2 := args.(pyTuple)
		if err1 != nil || err2 != nil || !ok1 || !ok2 {
			return fmt.Errorf("pickle REDUCE of %s at byte %d: only named callables are supported", pyTypeName(fn), at)
		}
		v, err := torchReduce(g, a)
		if err != nil {
			return fmt.Errorf("pickle at byte %d: %w", at, err)
		}
		u.push(v)
	case 'b': // BUILD
		state, err := u.pop()
		if err != nil {
			return err
		}
		obj, err := u.top()
		if err != nil {
			return err
		}
		if o, ok := obj.(*pyObject); ok {
			o.state = state
		} // dicts: OrderedDict's _metadata attribute is dropped
	case 's', 'u': // SETITEM(S)
		var items []any
		if op == 's' {
			v, err1 := u.pop()
			k, err2 := u.pop()
			if err1 != nil || err2 != nil {
				return fmt.Errorf("pickle SETITEM underflow at byte %d", at)
			}
			items = []any{k, v}
		} else {
			var err error
			if items, err = u.popMark(); err != nil {
				return err
			}
		}
		obj, err := u.top()
		if err != nil {
			return err
		}
		d, ok := obj.(*pyDict)
		if !ok {
			return fmt.Errorf("pickle SETITEM on a %s at byte %d", pyTypeName(obj), at)
		}
		for i := 0; i+1 < len(items); i += 2 {
			d.set(items[i], items[i+1])
		}
	case 'a', 'e': // APPEND(S)
		var items []any
		if op == 'a' {
			v, err := u.pop()
			if err != nil {
				return err
			}
			items = []any{v}
		} else {
			var err error
			if items, err = u.popMark(); err != nil {
				return err
			}
		}
		obj, err := u.top()
		if err != nil {
			return err
		}
		l, ok := obj.(*pyList)
		if !ok {
			return fmt.Errorf("pickle APPEND on a %s at byte %d", pyTypeName(obj), at)
		}
		l.items = append(l.items, items...)
	case 'Q', 'P': // BINPERSID, PERSID
		var pid any
		var err error
		if op == 'Q' {
			pid, err = u.pop()
		} else {
			pid, err = u.line()
		}
		if err != nil {
			return err
		}
		s, err := torchStorageFromPID(pid, u.storages)
		if err != nil {
			return fmt.Errorf("pickle at byte %d: %w", at, err)
		}
		u.push(s)
	case '0':
		_, err := u.pop()
		return err
	case '1':
		_, err := u.popMark()
		return err
	case '2':
		v, err := u.top()
		u.push(v)
		return err
	default:
		return fmt.Errorf("pickle opcode 0x%02x at byte %d is not supported (is this a torch.save state dict?)", op, at)
	}
	return nil
}

func (u *unpickler) memoOp(op byte, at int64) error {
	var idx int64
	switch op {
	case 'q', 'h':
		v, err := u.uint(1)
		if err != nil {
			return err
		}
		idx = int64(v)
	case 'r', 'j':
		v, err := u.uint(4)
		if err != nil {
			return err
		}
		idx = int64(v)
	case 'p', 'g':
		s, err := u.line()
		if err != nil {
			return err
		}
		if _, err := fmt.Sscan(s, &idx); err != nil {
			return fmt.Errorf("pickle memo index %q at byte %d", s, at)
		}
	case 0x94:
		idx = int64(len(u.memo))
	}
	if op == 'h' || op == 'j' || op == 'g' {
		v, ok := u.memo[idx]
		if !ok {
			return fmt.Errorf("pickle memo %d read before written at byte %d", idx, at)
		}
		u.push(v)
		return nil
	}
	v, err := u.top()
	if err != nil {
		return err
	}
	u.memo[idx] = v
	return nil
}

// decodeLong decodes a little-endian two's complement integer.
func decodeLong(b []byte) any {
	if len(b) <= 8 {
		var v int64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | int64(b[i])
		}
		if len(b) > 0 && len(b) < 8 && b[len(b)-1]&0x80 != 0 {
			v -= 1 << (8 * len(b))
		}
		return v
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return v
}
