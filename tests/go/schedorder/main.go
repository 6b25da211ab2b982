// Output that depends on scheduling, time and randomness: under
// --deterministic two runs must print the same bytes (not compared with qemu).
package main

import (
	crand "crypto/rand"
	"fmt"
	"math/rand"
	"runtime"
	"sync"
	"time"
)

func main() {
	runtime.GOMAXPROCS(4)
	start := time.Now()
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for g := 0; g < 12; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			x := 0
			for i := 0; i < (g%5+1)*20000; i++ {
				x += i ^ g
			}
			mu.Lock()
			order = append(order, g)
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	fmt.Println("finish order:", order)
	m := map[string]int{}
	for i := 0; i < 16; i++ {
		m[fmt.Sprint("k", i)] = i
	}
	keys := []string{}
	for k := range m {
		keys = append(keys, k)
	}
	fmt.Println("map order:", keys)
	b := make([]byte, 8)
	crand.Read(b)
	fmt.Printf("crypto/rand: %x\n", b)
	fmt.Println("math/rand (auto-seeded in go1.20+, fixed here):", rand.Intn(1000000))
	time.Sleep(3 * time.Millisecond)
	fmt.Println("elapsed ns:", time.Since(start).Nanoseconds())
	fmt.Println("unix ns:", time.Now().UnixNano())
}
