// What the runtime and programs learn about the machine: CPUs (sched_getaffinity:
// runtime.NumCPU and the default GOMAXPROCS), page size, the architecture
// uname reports, resource limits.
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

func main() {
	fmt.Println("NumCPU", runtime.NumCPU(), "GOMAXPROCS", runtime.GOMAXPROCS(0))
	fmt.Println("page size", os.Getpagesize(), runtime.GOOS, runtime.GOARCH)
	var u syscall.Utsname
	syscall.Uname(&u)
	machine := ""
	for _, c := range u.Machine {
		if c == 0 {
			break
		}
		machine += string(rune(c))
	}
	fmt.Println("uname machine", machine)
	var lim syscall.Rlimit
	err := syscall.Getrlimit(syscall.RLIMIT_STACK, &lim)
	fmt.Println("stack limit", lim.Cur, err)
}
