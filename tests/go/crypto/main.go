// Hashes, ciphers and compression: on arm64 Go picks the SHA1/SHA2/SHA512,
// AES, PMULL and CRC32 instructions when HWCAP advertises them, so this
// checks those instructions and the auxv the runtime reads.
package main

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"hash/crc64"
	"hash/fnv"
	"io"
	"math/rand"
)

func main() {
	data := make([]byte, 1<<16)
	r := rand.New(rand.NewSource(42))
	for i := range data {
		data[i] = byte(r.Intn(256) & 0x3f)
	}
	for _, n := range []int{0, 3, 55, 56, 64, 1000, len(data)} {
		d := data[:n]
		fmt.Printf("%6d md5 %x sha1 %x\n", n, md5.Sum(d), sha1.Sum(d))
		fmt.Printf("       sha224 %x sha256 %x\n", sha256.Sum224(d), sha256.Sum256(d))
		fmt.Printf("       sha512 %x\n", sha512.Sum512(d))
		fmt.Printf("       crc32 %08x castagnoli %08x crc64 %016x adler %08x\n", crc32.ChecksumIEEE(d),
			crc32.Checksum(d, crc32.MakeTable(crc32.Castagnoli)), crc64.Checksum(d, crc64.MakeTable(crc64.ECMA)),
			adler32.Checksum(d))
	}
	f := fnv.New64a()
	f.Write(data)
	fmt.Printf("fnv64a %x\n", f.Sum64())

	mac := hmac.New(sha256.New, []byte("key"))
	mac.Write([]byte("The quick brown fox jumps over the lazy dog"))
	fmt.Printf("hmac-sha256 %x\n", mac.Sum(nil))

	for _, keyLen := range []int{16, 24, 32} {
		key := data[100 : 100+keyLen]
		block, err := aes.NewCipher(key)
		if err != nil {
			panic(err)
		}
		out := make([]byte, 16)
		block.Encrypt(out, data[:16])
		back := make([]byte, 16)
		block.Decrypt(back, out)
		gcm, _ := cipher.NewGCM(block)
		nonce := data[200:212]
		sealed := gcm.Seal(nil, nonce, data[:1000], []byte("extra"))
		opened, err := gcm.Open(nil, nonce, sealed, []byte("extra"))
		sealed[5] ^= 1
		_, tamper := gcm.Open(nil, nonce, sealed, []byte("extra"))
		ctr := make([]byte, 777)
		cipher.NewCTR(block, data[300:316]).XORKeyStream(ctr, data[:777])
		fmt.Printf("aes-%d block %x round trip %v gcm tag %x open %v %v tamper %v ctr %x\n", keyLen*8, out,
			bytes.Equal(back, data[:16]), sealed[len(sealed)-16:], bytes.Equal(opened, data[:1000]), err, tamper,
			sha256.Sum256(ctr))
	}

	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Name = "data.bin"
	zw.Write(data)
	zw.Close()
	packed := gz.Len()
	zr, _ := gzip.NewReader(&gz)
	plain, err := io.ReadAll(zr)
	fmt.Printf("gzip %d -> %d bytes, name %s, round trip %v %v\n", len(data), packed, zr.Name, bytes.Equal(plain, data), err)
	var fl bytes.Buffer
	fw, _ := flate.NewWriter(&fl, flate.BestSpeed)
	fw.Write(bytes.Repeat([]byte("abcabcabd"), 5000))
	fw.Close()
	fmt.Printf("flate %d bytes sha256 %x\n", fl.Len(), sha256.Sum256(fl.Bytes()))
	fmt.Println(base64.StdEncoding.EncodeToString(data[:40]), hex.EncodeToString(data[40:60]))
}
