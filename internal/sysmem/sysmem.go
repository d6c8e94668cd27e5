// Package sysmem tells how much memory this process may still use: the
// kernel's estimate of available memory (MemAvailable in /proc/meminfo),
// lowered by a cgroup memory limit when one applies. The commands compare
// their memory estimate of a run with it before they allocate anything.
package sysmem

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
)

// Available returns the bytes of memory the process can still allocate
// without swapping or hitting its cgroup limit, and false where that is
// unknown (not Linux, no /proc): then nothing is refused on its account.
func Available() (int64, bool) {
	avail, ok := memAvailable("/proc/meminfo")
	if !ok {
		return 0, false
	}
	// cgroup v2, then v1: the limit less what the group already uses.
	for _, g := range [][2]string{
		{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
		{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"},
	} {
		limit, ok1 := readInt(g[0])
		used, ok2 := readInt(g[1])
		if ok1 && ok2 && limit > 0 && limit < 1<<60 {
			avail = min(avail, max(0, limit-used))
			break
		}
	}
	return avail, true
}

// memAvailable reads MemAvailable (kB) from a meminfo file, in bytes.
func memAvailable(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || kb < 0 {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}

// readInt reads a file holding one integer ("max" and other text: false).
func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil
}
