// os/signal: signals the program sends itself (kill, tgkill via
// syscall) reach signal.Notify channels; ignored and reset signals.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGHUP)
	pid := os.Getpid()
	for _, s := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGUSR2} {
		syscall.Kill(pid, s)
		select {
		case got := <-c:
			fmt.Println("got", got)
		case <-time.After(5 * time.Second):
			fmt.Println("timeout waiting for", s)
		}
	}
	signal.Ignore(syscall.SIGUSR1)
	syscall.Kill(pid, syscall.SIGUSR1)
	select {
	case got := <-c:
		fmt.Println("ignored signal delivered:", got)
	case <-time.After(30 * time.Millisecond):
		fmt.Println("ignored SIGUSR1 not delivered")
	}
	fmt.Println("ignored:", signal.Ignored(syscall.SIGUSR1))
	signal.Stop(c)
	signal.Reset()
	fmt.Println("sending SIGTERM to myself")
	syscall.Kill(pid, syscall.SIGTERM)
	time.Sleep(5 * time.Second)
	fmt.Println("not reached")
}
