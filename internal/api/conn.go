package api

import (
	"net"

	"github.com/payd/payd/internal/bufpool"
)

// Listener wraps ln for a server of this package's handler: writeJSON can
// then hand a large response to the kernel in one write (see heldConn).
// Set ConnContext too, so that handlers find their connection.
func Listener(ln net.Listener) net.Listener { return listener{ln} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &heldConn{Conn: c}, nil
}

// heldConn is a connection whose writes can be held back and sent as one.
// net/http writes through a 4 KB buffer: a larger response (a page of a
// list) leaves in two write(2)s or more, the buffer and then the rest, and
// over loopback each costs the sender's core a segment sent and one
// received. Held, they leave as one write, without the two setsockopt(2)s
// that TCP_CORK would take.
//
// Only the goroutine serving the connection writes to it (net/http's
// background reader only reads), so held needs no lock.
type heldConn struct {
	net.Conn
	held *[]byte // where writes go while held; nil otherwise
}

func (c *heldConn) Write(p []byte) (int, error) {
	if c.held != nil {
		*c.held = append(*c.held, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// CloseWrite keeps the half-close net/http does before closing a
// connection whose request body it left unread.
func (c *heldConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// writeHeld runs write with the connection's writes held, then sends what
// it wrote in one write. Should write panic, nothing held is sent and the
// connection writes straight through again.
func (c *heldConn) writeHeld(write func()) error {
	buf := bufpool.Get()
	c.held = buf
	defer func() {
		c.held = nil
		bufpool.Put(buf)
	}()
	write()
	_, err := c.Conn.Write(*buf)
	return err
}
