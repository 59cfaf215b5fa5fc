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

package admissionregistration

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	"k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"
)

// CEL expressions are compiled with k8s.io/apiserver's admission CEL
// compilers, as upstream validation does, so compile errors, cost limits and
// the stored-versus-new environment choice are the real ones.

// preexistingExpressions are the expressions an update's old object already
// had: they compile in the "stored" environment, which keeps accepting
// libraries and functions that new expressions may no longer use
// (validation.go, preexistingExpressions).
type preexistingExpressions struct {
	matchConditions, validations, messageExpressions, auditAnnotationValues, applyConfigurations sets.Set[string]
}

func newPreexistingExpressions() preexistingExpressions {
	return preexistingExpressions{sets.New[string](), sets.New[string](), sets.New[string](), sets.New[string](), sets.New[string]()}
}

// envType picks the environment: stored for an expression the old object
// had, new otherwise. A nil set (on create) never has it.
func envType(stored sets.Set[string], expr string) environment.Type {
	if stored.Has(expr) {
		return environment.StoredExpressions
	}
	return environment.NewExpressions
}

var (
	statelessCompilerOnce sync.Once
	statelessCompiler     plugincel.Compiler
)

// strictStatelessCompiler is getStrictStatelessCELCompiler: one compiler
// without variable composition per process (building the environments costs
// tens of milliseconds).
func strictStatelessCompiler() plugincel.Compiler {
	statelessCompilerOnce.Do(func() {
		statelessCompiler = plugincel.NewCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	})
	return statelessCompiler
}

// newCompiler is createCompiler: a composited compiler (variables are
// stateful, so one per policy) when the policy may declare variables.
func newCompiler(composition bool) plugincel.Compiler {
	if !composition {
		return strictStatelessCompiler()
	}
	c, err := plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if err != nil {
		return strictStatelessCompiler()
	}
	return c
}

// compileMatchCondition is validateMatchConditionsExpression.
func compileMatchCondition(expr string, opts options, fldPath *field.Path) field.ErrorList {
	return compileCondition(strictStatelessCompiler(), &matchconditions.MatchCondition{Expression: expr},
		plugincel.OptionalVariableDeclarations{HasParams: opts.allowParamsInMatchConditions, HasAuthorizer: true},
		envType(opts.preexisting.matchConditions, expr), fldPath)
}

// compileCondition is validateCELCondition.
func compileCondition(c plugincel.Compiler, expr plugincel.ExpressionAccessor, decls plugincel.OptionalVariableDeclarations, env environment.Type, fldPath *field.Path) field.ErrorList {
	if result := c.CompileCELExpression(expr, decls, env); result.Error != nil {
		return field.ErrorList{celError(fldPath, expr, result.Error)}
	}
	return nil
}

// celError is convertCELErrorToValidationError.
func celError(fldPath *field.Path, expr plugincel.ExpressionAccessor, err error) *field.Error {
	if celErr, ok := err.(*cel.Error); ok {
		switch celErr.Type {
		case cel.ErrorTypeRequired:
			return field.Required(fldPath, celErr.Detail)
		case cel.ErrorTypeInvalid:
			return field.Invalid(fldPath, expr.GetExpression(), celErr.Detail)
		case cel.ErrorTypeInternal:
			return field.InternalError(fldPath, celErr)
		}
	}
	return field.InternalError(fldPath, fmt.Errorf("unsupported error type: %w", err))
}
