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

package main

import (
	"reflect"
	"testing"
)

func TestUserFlags(t *testing.T) {
	var u userFlags
	for _, v := range []string{"alice", "bob:debuggers,ops"} {
		if err := u.Set(v); err != nil {
			t.Fatalf("Set(%q): %v", v, err)
		}
	}
	want := userFlags{{Name: "alice"}, {Name: "bob", Groups: []string{"debuggers", "ops"}}}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("got %+v, want %+v", u, want)
	}
	for _, bad := range []string{"", ":g", "carol:a,,b", "alice"} {
		if err := u.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}
