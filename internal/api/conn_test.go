package api

import (
	"bytes"
	"net"
	"testing"
)

// countingConn records each write it is given.
type countingConn struct {
	net.Conn
	writes [][]byte
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

// TestHeldConn: what is written while held reaches the connection as one
// write, in order; other writes pass straight through.
func TestHeldConn(t *testing.T) {
	under := &countingConn{}
	c := &heldConn{Conn: under}
	c.Write([]byte("before"))
	body := bytes.Repeat([]byte("0123456789"), 2*connBuffer/10)
	if err := c.writeHeld(func() {
		c.Write([]byte("HTTP/1.1 200 OK\r\n\r\n"))
		c.Write(body[:connBuffer])
		c.Write(body[connBuffer:])
	}); err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("after"))
	want := []string{"before", "HTTP/1.1 200 OK\r\n\r\n" + string(body), "after"}
	if len(under.writes) != len(want) {
		t.Fatalf("%d writes reached the connection, want %d", len(under.writes), len(want))
	}
	for i, w := range want {
		if string(under.writes[i]) != w {
			t.Fatalf("write %d is %d bytes, want %d", i, len(under.writes[i]), len(w))
		}
	}
}

// TestHeldConn_Panic: a write that panics while held sends nothing of what
// it held and leaves the connection writing straight through.
func TestHeldConn_Panic(t *testing.T) {
	under := &countingConn{}
	c := &heldConn{Conn: under}
	func() {
		defer func() { recover() }()
		c.writeHeld(func() {
			c.Write([]byte("half a response"))
			panic("handler")
		})
	}()
	c.Write([]byte("next"))
	if len(under.writes) != 1 || string(under.writes[0]) != "next" {
		t.Fatalf("writes after a panic: %q", under.writes)
	}
}
