// execve from a process with many threads (the Go runtime's, plus goroutines
// blocked in syscalls): the other threads must vanish and the new image start
// clean; children in their own process group and session; SIGCHLD to a
// signal.Notify channel.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "stage" {
		n, _ := strconv.Atoi(os.Args[2])
		fmt.Printf("stage %d env STAGE_VAR=%s\n", n, os.Getenv("STAGE_VAR"))
		if n < 3 {
			reexec(n + 1)
		}
		if len(os.Args) > 3 {
			pgid, _ := syscall.Getpgid(0)
			sid, _, _ := syscall.RawSyscall(syscall.SYS_GETSID, 0, 0, 0)
			fmt.Println("child own group:", pgid == os.Getpid(), "own session:", int(sid) == os.Getpid())
		}
		return
	}
	runtime.GOMAXPROCS(4)
	// Threads busy in blocking reads and in loops when execve comes.
	for i := 0; i < 3; i++ {
		var p [2]int
		syscall.Pipe(p[:])
		go func(fd int) {
			b := make([]byte, 1)
			syscall.Read(fd, b)
		}(p[0])
		go func() {
			for {
				runtime.Gosched()
			}
		}()
	}
	time.Sleep(10 * time.Millisecond)

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGCHLD)
	for _, attr := range []*syscall.SysProcAttr{{Setpgid: true}, {Setsid: true}} {
		cmd := exec.Command("execself", "stage", "3", "check")
		cmd.SysProcAttr = attr
		out, err := cmd.Output()
		fmt.Printf("child: %q %v\n", out, err)
	}
	select {
	case s := <-sigs:
		fmt.Println("got", s)
	case <-time.After(5 * time.Second):
		fmt.Println("no SIGCHLD")
	}
	signal.Stop(sigs)
	os.Setenv("STAGE_VAR", "kept")
	fmt.Println("exec from", runtime.NumGoroutine() > 5, "goroutines")
	reexec(1)
}

func reexec(n int) {
	path, err := exec.LookPath("execself")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	err = syscall.Exec(path, []string{"execself", "stage", strconv.Itoa(n)}, os.Environ())
	fmt.Println("exec failed:", err)
	os.Exit(1)
}
