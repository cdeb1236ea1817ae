package api

import (
	"net"
	"syscall"
)

// corked runs write with the connection's TCP_CORK option set, so that
// what write hands the kernel in several write(2)s leaves as one segment
// when the option is cleared. See writeJSON.
func corked(c net.Conn, write func()) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		write()
		return
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		write()
		return
	}
	setCork(rc, 1)
	write()
	setCork(rc, 0)
}

func setCork(rc syscall.RawConn, on int) {
	rc.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK, on)
	})
}
