package api

import (
	"io"
	"net"
	"syscall"
	"testing"
)

// TestCorked: the connection is corked while the response is written and
// uncorked after, and what was written arrives.
func TestCorked(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cork := func() int {
		rc, err := c.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var v int
		rc.Control(func(fd uintptr) { v, err = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK) })
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	body := make([]byte, 3*connBuffer)
	for i := range body {
		body[i] = byte(i)
	}
	var during int
	corked(c, func() {
		during = cork()
		c.Write(body[:connBuffer])
		c.Write(body[connBuffer:])
	})
	if during != 1 || cork() != 0 {
		t.Fatalf("TCP_CORK %d while writing and %d after, want 1 and 0", during, cork())
	}
	c.Close()
	if b := <-got; string(b) != string(body) {
		t.Fatalf("received %d bytes, want the %d written", len(b), len(body))
	}
}
