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
	"fmt"
	"strings"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// userFlags collects repeated --user NAME[:GROUP,GROUP...] flags.
type userFlags []apiserver.User

func (u *userFlags) String() string {
	var parts []string
	for _, x := range *u {
		parts = append(parts, x.Name+":"+strings.Join(x.Groups, ","))
	}
	return strings.Join(parts, " ")
}

// Type names the value in --help (pflag.Value).
func (u *userFlags) Type() string { return "NAME[:GROUPS]" }

// Set parses one --user value. A name is required; groups are optional and
// must not be empty between commas.
func (u *userFlags) Set(v string) error {
	name, groups, hasGroups := strings.Cut(v, ":")
	if name == "" {
		return fmt.Errorf("%q: want NAME[:GROUP,GROUP...]", v)
	}
	user := apiserver.User{Name: name}
	if hasGroups {
		for _, g := range strings.Split(groups, ",") {
			if g == "" {
				return fmt.Errorf("%q: empty group name", v)
			}
			user.Groups = append(user.Groups, g)
		}
	}
	for _, x := range *u {
		if x.Name == name {
			return fmt.Errorf("user %q given twice", name)
		}
	}
	*u = append(*u, user)
	return nil
}

// withUsers provisions each --user on the running environment and returns
// its admin kubeconfig with a context per user.
func withUsers(env *apiserver.Environment, users userFlags) ([]byte, error) {
	var added []*apiserver.AuthenticatedUser
	for _, u := range users {
		au, err := env.AddUser(u, nil)
		if err != nil {
			return nil, fmt.Errorf("--user %s: %w", u.Name, err)
		}
		added = append(added, au)
	}
	return apiserver.WithUserContexts(env.KubeConfig, added...)
}
