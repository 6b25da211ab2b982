package main

// Built by Debian's Go 1.19 toolchain running under the emulator (go, compile, link), then run:
// goroutines on several threads, a WaitGroup, sorting and strings.

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

func main() {
	var wg sync.WaitGroup
	res := make([]int, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(k int) { defer wg.Done(); s := 0; for j := 0; j < 1000000; j++ { s += j % (k + 3) }; res[k] = s }(i)
	}
	wg.Wait()
	w := strings.Fields("the quick brown fox jumps over the lazy dog")
	sort.Strings(w)
	fmt.Println(res, w)
}
