// The garbage collector under allocation pressure on 4 Ps: binary trees
// built and dropped by several goroutines, explicit runtime.GC, finalizers.
package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
)

type tree struct{ l, r *tree }

func build(d int) *tree {
	if d == 0 {
		return &tree{}
	}
	return &tree{build(d - 1), build(d - 1)}
}

func (t *tree) count() int {
	if t.l == nil {
		return 1
	}
	return 1 + t.l.count() + t.r.count()
}

func main() {
	fmt.Println("GOMAXPROCS was set:", runtime.GOMAXPROCS(4) > 0, "now", runtime.GOMAXPROCS(0))
	debug.SetGCPercent(50)
	long := build(14)
	var wg sync.WaitGroup
	totals := make([]int, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 12; i++ {
				totals[g] += build(10 + g%3).count()
				if i%4 == 0 {
					_ = make([]byte, 1<<20)
				}
			}
		}(g)
	}
	wg.Wait()
	runtime.GC()
	sum := 0
	for _, t := range totals {
		sum += t
	}
	fmt.Println("nodes built", sum, "long-lived tree", long.count())

	finalized := make(chan int, 10)
	for i := 0; i < 10; i++ {
		p := new([64]byte)
		i := i
		runtime.SetFinalizer(p, func(*[64]byte) { finalized <- i })
	}
	got := 0
	for tries := 0; tries < 20 && got < 10; tries++ {
		runtime.GC()
		for more := true; more; {
			select {
			case <-finalized:
				got++
			default:
				more = false
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Println("finalizers ran", got, "GC cycles > 3:", ms.NumGC > 3, "heap in use < 256MB:", ms.HeapInuse < 256<<20)
	debug.FreeOSMemory()
	fmt.Println("still alive", long.count())
}
