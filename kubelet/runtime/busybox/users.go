/*
Copyright The Ephemera Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package busybox

import (
	"io"
	"os"
	"strconv"
	"strings"
)

// readFile reads a whole file of the container.
func (e *Env) readFile(name string) ([]byte, error) {
	f, err := e.Sys.FS().Open(e.Sys.Caller(), name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// dbName looks id up in /etc/passwd or /etc/group (field 3 is the id), as
// getpwuid/getgrgid do over the container's files; "" when absent.
func (e *Env) dbName(file string, id int) string {
	data, err := e.readFile(file)
	if err != nil {
		return ""
	}
	want := strconv.Itoa(id)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && f[2] == want {
			return f[0]
		}
	}
	return ""
}

// userName is get_cached_username: the name, or the number.
func (e *Env) userName(uid int) string {
	if n := e.dbName("/etc/passwd", uid); n != "" {
		return n
	}
	return strconv.Itoa(uid)
}

// groupName is get_cached_groupname.
func (e *Env) groupName(gid int) string {
	if n := e.dbName("/etc/group", gid); n != "" {
		return n
	}
	return strconv.Itoa(gid)
}
