// os.Args, the environment, files: read a file, write and re-read one,
// list a directory, stat, a missing file's error.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func main() {
	fmt.Println("args:", len(os.Args), os.Args[1:])
	fmt.Println("GO_TEST_VAR:", os.Getenv("GO_TEST_VAR"), "HOME:", os.Getenv("HOME"))
	v, ok := os.LookupEnv("NOT_SET_ANYWHERE")
	fmt.Printf("unset: %q %v\n", v, ok)
	var names []string
	for _, kv := range os.Environ() {
		names = append(names, strings.SplitN(kv, "=", 2)[0])
	}
	sort.Strings(names)
	fmt.Println("env names:", names)

	data, err := os.ReadFile("input.txt")
	fmt.Printf("read %d bytes err %v\n", len(data), err)
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	n, words := 0, 0
	for sc.Scan() {
		n++
		words += len(strings.Fields(sc.Text()))
	}
	fmt.Println("lines", n, "words", words)

	err = os.WriteFile("out.txt", []byte(strings.Repeat("0123456789\n", 1000)), 0o644)
	fmt.Println("write err", err)
	f, _ := os.Open("out.txt")
	f.Seek(5000, io.SeekStart)
	buf := make([]byte, 12)
	k, err := io.ReadFull(f, buf)
	fmt.Printf("seek+read %d %q %v\n", k, buf, err)
	st, _ := f.Stat()
	fmt.Println("size", st.Size(), "mode", st.Mode(), "name", st.Name())
	f.Close()
	// File to file: copy_file_range on Linux (Go falls back to read/write without it).
	src, _ := os.Open("input.txt")
	dst, _ := os.Create("copy.txt")
	copied, err := io.Copy(dst, src)
	src.Close()
	dst.Close()
	again, _ := os.ReadFile("copy.txt")
	fmt.Println("copied", copied, err, "same:", string(again) == string(data))
	os.Mkdir("sub", 0o755)
	os.WriteFile("sub/b", nil, 0o600)
	os.WriteFile("sub/a", []byte("x"), 0o600)
	ents, err := os.ReadDir("sub")
	for _, e := range ents {
		info, _ := e.Info()
		fmt.Println("entry", e.Name(), e.IsDir(), info.Size(), info.Mode())
	}
	fmt.Println("rename", os.Rename("sub/a", "sub/c"), "remove", os.Remove("sub/b"))
	_, err = os.Stat("missing.txt")
	fmt.Println("missing:", err, os.IsNotExist(err))
	_, err = os.ReadFile("sub")
	fmt.Println("read dir:", err)
	fmt.Println("pid positive:", os.Getpid() > 0, "ppid positive:", os.Getppid() > 0)
	host, err := os.Hostname()
	fmt.Println("hostname ok:", host != "" && err == nil)
	in, _ := io.ReadAll(os.Stdin)
	fmt.Printf("stdin %q\n", in)
}
