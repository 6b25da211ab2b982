// pidfds through raw syscalls (Go 1.23+'s os/exec uses them itself when the
// kernel has them): pidfd_open of a child, poll until it ends, waitid(P_PIDFD),
// pidfd_send_signal, and the errors (a pidfd of oneself, no such process, a
// descriptor that is not a pidfd).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
	"unsafe"
)

const (
	sysPidfdOpen       = 434
	sysPidfdSendSignal = 424
	pPidfd             = 3
)

func pidfdOpen(pid int) (int, syscall.Errno) {
	fd, _, e := syscall.Syscall(sysPidfdOpen, uintptr(pid), 0, 0)
	return int(fd), e
}

func waitid(fd int) (int32, int32, syscall.Errno) {
	var info [128]byte
	_, _, e := syscall.Syscall6(syscall.SYS_WAITID, pPidfd, uintptr(fd), uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED, 0, 0)
	code := *(*int32)(unsafe.Pointer(&info[8]))
	status := *(*int32)(unsafe.Pointer(&info[24]))
	return code, status, e
}

func pollIn(fd int, ms int) (int, int16) {
	p := [1]struct {
		fd      int32
		events  int16
		revents int16
	}{{int32(fd), 1, 0}}
	ts := syscall.Timespec{Sec: int64(ms / 1000), Nsec: int64(ms%1000) * 1e6}
	n, _, _ := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p[0])), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	return int(n), p[0].revents
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "child" {
		if os.Args[2] == "sleep" {
			time.Sleep(time.Hour)
		}
		os.Exit(5)
	}
	self, e := pidfdOpen(os.Getpid())
	fmt.Println("pidfd of self:", self >= 0, e)
	_, _, e = waitid(self)
	fmt.Println("waitid on self:", e)
	_, e = pidfdOpen(0x3fffffff)
	fmt.Println("no such pid:", e)
	r, w, _ := os.Pipe()
	_, _, e = waitid(int(r.Fd()))
	fmt.Println("waitid on a pipe:", e)
	r.Close()
	w.Close()

	cmd := exec.Command("pidfd", "child", "exit")
	cmd.Start()
	fd, e := pidfdOpen(cmd.Process.Pid)
	fmt.Println("pidfd of child:", fd >= 0, e)
	n, rev := pollIn(fd, 10000)
	fmt.Println("poll after exit:", n, rev)
	code, status, e := waitid(fd)
	fmt.Println("waitid:", code, status, e)
	_, _, e = syscall.Syscall6(sysPidfdSendSignal, uintptr(fd), 0, 0, 0, 0, 0)
	fmt.Println("signal after reap:", e)
	syscall.Close(fd)

	cmd = exec.Command("pidfd", "child", "sleep")
	cmd.Start()
	fd, _ = pidfdOpen(cmd.Process.Pid)
	n, _ = pollIn(fd, 50)
	fmt.Println("poll while running:", n)
	_, _, e = syscall.Syscall6(sysPidfdSendSignal, uintptr(fd), uintptr(syscall.SIGTERM), 0, 0, 0, 0)
	fmt.Println("pidfd_send_signal:", e)
	code, status, e = waitid(fd)
	fmt.Println("waitid:", code, status, e)
	fmt.Println("os/exec wait:", cmd.Wait())
}
