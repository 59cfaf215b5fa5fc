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

package conformance

import "github.com/ephemera-dev/ephemera/conformance/observe"

// Observation is one normalized request outcome. Differential mode compares
// the observation lists of two targets step by step, so a difference nobody
// wrote an assertion for still shows up. The normalization lives in package
// observe, shared with the differential fuzz targets.
type Observation = observe.Observation

// observed is the answer as package observe records it.
func (r *Result) observed() observe.Response {
	return observe.Response{Code: r.Code, Body: r.Body, Status: r.Status, Warnings: r.Warnings}
}
