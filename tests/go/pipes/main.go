// Pipes through Go's netpoller: os.Pipe ends are non-blocking and parked on
// epoll; read deadlines; io.Copy between goroutines; a child's stdout pipe;
// a child killed by a context timeout; signals to a child process.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

func child(mode string) {
	switch mode {
	case "lines":
		for i := 0; i < 5; i++ {
			fmt.Printf("line %d\n", i)
		}
	case "sleep":
		time.Sleep(time.Hour)
	case "echo":
		io.Copy(os.Stdout, os.Stdin)
	}
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "child" {
		child(os.Args[2])
		return
	}
	fmt.Println("NumCPU > 0:", runtime.NumCPU() > 0)

	r, w, err := os.Pipe()
	fmt.Println("pipe err:", err)
	go func() {
		for i := 0; i < 100; i++ {
			fmt.Fprintf(w, "message %03d %s\n", i, strings.Repeat("x", i*37))
		}
		w.Close()
	}()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 8192), 8192)
	n, bytes := 0, 0
	for sc.Scan() {
		n++
		bytes += len(sc.Text())
	}
	fmt.Println("read lines", n, "bytes", bytes, "err", sc.Err())
	r.Close()

	r, w, _ = os.Pipe()
	r.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	buf := make([]byte, 10)
	_, err = r.Read(buf)
	fmt.Println("deadline:", errors.Is(err, os.ErrDeadlineExceeded))
	r.SetReadDeadline(time.Time{})
	go func() { time.Sleep(5 * time.Millisecond); w.Write([]byte("late")) }()
	k, err := r.Read(buf)
	fmt.Printf("after deadline reset: %q %v\n", buf[:k], err)
	w.Close()
	r.Close()

	// A chain of pipes, one goroutine per stage.
	var wg sync.WaitGroup
	first, prev := io.Pipe()
	var src io.Reader = first
	for s := 0; s < 4; s++ {
		pr, pw, _ := os.Pipe()
		wg.Add(1)
		go func(in io.Reader, out *os.File) {
			defer wg.Done()
			io.Copy(out, in)
			out.Close()
		}(src, pw)
		src = pr
	}
	go func() {
		for i := 0; i < 1000; i++ {
			fmt.Fprintf(prev, "%d,", i)
		}
		prev.Close()
	}()
	all, err := io.ReadAll(src)
	wg.Wait()
	fmt.Println("chain bytes", len(all), "err", err, "tail", string(all[len(all)-8:]))

	cmd := exec.Command("pipes", "child", "lines")
	out, _ := cmd.StdoutPipe()
	cmd.Start()
	lines := 0
	s := bufio.NewScanner(out)
	for s.Scan() {
		lines++
	}
	fmt.Println("child lines", lines, "wait", cmd.Wait())

	cmd = exec.Command("pipes", "child", "echo")
	in, _ := cmd.StdinPipe()
	var got strings.Builder
	cmd.Stdout = &got
	cmd.Start()
	for i := 0; i < 50; i++ {
		fmt.Fprintf(in, "echo %d\n", i)
	}
	in.Close()
	fmt.Println("echo wait", cmd.Wait(), "got", len(got.String()), "bytes")

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = exec.CommandContext(ctx, "pipes", "child", "sleep").Run()
	fmt.Println("killed by context:", err)

	cmd = exec.Command("pipes", "child", "sleep")
	cmd.Start()
	time.Sleep(20 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	fmt.Println("terminated:", err, ws.Signaled(), ws.Signal())
}
