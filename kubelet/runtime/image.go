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

package runtime

import (
	"io/fs"
	"time"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/busybox"
	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

// imageTime is when the files of the simulated image were made.
var imageTime = time.Date(2026, time.May, 7, 20, 33, 45, 0, time.UTC)

// busyboxSize is the size of Debian bookworm's busybox-static binary.
const busyboxSize = 1982256

// imageRoot is a fresh copy of the filesystem every simulated image has:
// the busybox:1.36 image the kind e2e uses (hack/kind/build-images.sh):
// /bin/busybox with a link per applet of busybox, /etc/passwd and
// /etc/group with root and nobody, and /tmp, /root, /var and /home.
func imageRoot(image string, now time.Time) *vfs.Node {
	t := imageTime
	root := vfs.NewDir(0o755, t)
	bin := root.Add("bin", vfs.NewDir(0o755, t))
	bin.Add("busybox", vfs.NewProgram("busybox", busyboxSize, 0o755, t))
	for _, name := range busybox.Links() {
		bin.Add(name, vfs.NewSymlink("busybox", t))
	}
	etc := root.Add("etc", vfs.NewDir(0o755, t))
	etc.Add("passwd", vfs.NewFile([]byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"), 0o644, t))
	etc.Add("group", vfs.NewFile([]byte("root:x:0:\nnogroup:x:65534:\n"), 0o644, t))
	root.Add("tmp", vfs.NewDir(0o777|fs.ModeSticky, t))
	root.Add("root", vfs.NewDir(0o755, t))
	root.Add("var", vfs.NewDir(0o755, t))
	root.Add("home", vfs.NewDir(0o755, t))
	return root
}
