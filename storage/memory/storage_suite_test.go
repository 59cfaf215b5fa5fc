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

// The apiserver's own storage conformance suite
// (k8s.io/apiserver/pkg/storage/testing), run against the memory backend the
// way storage/etcd3/store_test.go and watcher_test.go run it against etcd.
//
// Skipped suite functions and why:
//   - RunTestDeleteWithConflictAndMissingExpectedTransformOrDecodeError,
//     RunTestDeleteExpectedTransformOrDecodeError,
//     RunTestDeleteWithSuggestionAndMissingExpectedTransformOrDecodeError,
//     RunTestGetListWithErrorAggregation, RunTestWatchWithUnsafeDelete: they exercise the AllowUnsafeMalformedObjectDeletion
//     feature (deleting objects that cannot be decoded) with etcd3-internal
//     error types (corruptObjectError); the memory backend never stores
//     undecodable data of its own and does not implement unsafe deletion.
//   - RunTestConsistentList's cache variants, RunTestList's watch-cache
//     request recording: there is no watch cache in front of this storage.
//   - RunTestListPaginationRareObject/RunTestListContinuation's etcd call
//     counting: the validation here counts transformer reads only (there are
//     no etcd range calls to count).
package memory

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/features"
	"k8s.io/apiserver/pkg/storage"
	storagetesting "k8s.io/apiserver/pkg/storage/testing"
	"k8s.io/apiserver/pkg/storage/value"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	featuregatetesting "k8s.io/component-base/featuregate/testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/apis/example"
)

const defaultTestPrefix = "test!"

func prefixTransformer() *storagetesting.PrefixTransformer {
	return storagetesting.NewPrefixTransformer([]byte(defaultTestPrefix), false)
}

// suiteSetup is testSetup with etcd3's default test transformer and etcd3's
// read semantics (the suite tests the bare store; the watch-cache-like
// defaults are covered by TestFutureRevisionWait and TestListRV0IgnoresLimit).
func suiteSetup(t testing.TB, opts ...setupOpt) (context.Context, *store, *Backend) {
	return testSetup(t, append([]setupOpt{withTransformer(prefixTransformer()), withBackendOptions(WithEtcd3Reads())}, opts...)...)
}

// checkStorageInvariants mirrors etcd3's: stored bytes carry neither
// resourceVersion nor selfLink.
func checkStorageInvariants(b *Backend, codec runtime.Codec) storagetesting.KeyValidation {
	return func(ctx context.Context, t *testing.T, key string) {
		v, ok, _, err := b.get(key, 0)
		if err != nil {
			t.Fatalf("get failed: %v", err)
		}
		if !ok {
			t.Fatalf("expecting non empty result on key: %s", key)
		}
		decoded, err := runtime.Decode(codec, v.value[len(defaultTestPrefix):])
		if err != nil {
			t.Fatalf("expecting successful decode of object from %v\n%v", err, string(v.value))
		}
		obj := decoded.(*example.Pod)
		if obj.ResourceVersion != "" {
			t.Errorf("stored object should have empty resource version")
		}
		//lint:ignore SA1019 etcd3's store_test.go checks the deprecated field too: it must never be stored
		if obj.SelfLink != "" {
			t.Errorf("stored output should have empty selfLink")
		}
	}
}

type storeWithPrefixTransformer struct {
	*store
}

func (s *storeWithPrefixTransformer) UpdatePrefixTransformer(modifier storagetesting.PrefixTransformerModifier) func() {
	original := s.transformer.(*storagetesting.PrefixTransformer)
	transformer := *original
	s.transformer = modifier(&transformer)
	return func() { s.transformer = original }
}

func (s *storeWithPrefixTransformer) UpdateTransformer(modifier storagetesting.TransformerModifier) func() {
	original := s.transformer
	s.transformer = modifier(original)
	return func() { s.transformer = original }
}

func compactStorage(b *Backend) storagetesting.Compaction {
	return func(ctx context.Context, t *testing.T, resourceVersion string) {
		rv, err := storage.APIObjectVersioner{}.ParseResourceVersion(resourceVersion)
		if err != nil {
			t.Fatal(err)
		}
		// kube-apiserver's compactor (etcd3.Compact) first records the
		// compaction in etcd, which moves the revision on; the suite
		// expects that.
		increaseRV(b)(ctx, t)
		if err := b.Compact(int64(rv)); err != nil {
			t.Fatal(err)
		}
	}
}

// checkTransformerReads verifies that a paginated list decodes only the
// objects it needs (etcd3's checkStorageCallsInvariants, minus etcd calls).
func checkTransformerReads(tr *storagetesting.PrefixTransformer) storagetesting.CallsValidation {
	return func(t *testing.T, pageSize, estimatedProcessedObjects uint64) {
		if reads := tr.GetReadsAndReset(); reads != estimatedProcessedObjects {
			t.Errorf("unexpected reads: %d, expected: %d", reads, estimatedProcessedObjects)
		}
	}
}

// TestSuite runs the suite's store, update, delete and list tests, each on a
// fresh store; TestSuiteWatch runs the watch tests.
func TestSuite(t *testing.T) {
	plain := map[string]func(context.Context, *testing.T, storage.Interface){
		"CreateWithTTL":                              storagetesting.RunTestCreateWithTTL,
		"CreateWithKeyExist":                         storagetesting.RunTestCreateWithKeyExist,
		"Get":                                        storagetesting.RunTestGet,
		"UnconditionalDelete":                        storagetesting.RunTestUnconditionalDelete,
		"ConditionalDelete":                          storagetesting.RunTestConditionalDelete,
		"DeleteWithSuggestion":                       storagetesting.RunTestDeleteWithSuggestion,
		"DeleteWithSuggestionAndConflict":            storagetesting.RunTestDeleteWithSuggestionAndConflict,
		"DeleteWithSuggestionOfDeletedObject":        storagetesting.RunTestDeleteWithSuggestionOfDeletedObject,
		"ValidateDeletionWithSuggestion":             storagetesting.RunTestValidateDeletionWithSuggestion,
		"ValidateDeletionWithOnlySuggestionValid":    storagetesting.RunTestValidateDeletionWithOnlySuggestionValid,
		"DeleteWithConflict":                         storagetesting.RunTestDeleteWithConflict,
		"PreconditionalDeleteWithSuggestion":         storagetesting.RunTestPreconditionalDeleteWithSuggestion,
		"PreconditionalDeleteWithOnlySuggestionPass": storagetesting.RunTestPreconditionalDeleteWithOnlySuggestionPass,
		"ListPaging":                                 storagetesting.RunTestListPaging,
		"GetListRecursivePrefix":                     storagetesting.RunTestGetListRecursivePrefix,
		"KeySchema":                                  storagetesting.RunTestKeySchema,
		"GuaranteedUpdateWithTTL":                    storagetesting.RunTestGuaranteedUpdateWithTTL,
		"GuaranteedUpdateWithConflict":               storagetesting.RunTestGuaranteedUpdateWithConflict,
		"GuaranteedUpdateWithSuggestionAndConflict":  storagetesting.RunTestGuaranteedUpdateWithSuggestionAndConflict,
		"NamespaceScopedList":                        storagetesting.RunTestNamespaceScopedList,
	}
	// The tests that also take the backend (compaction, revisions,
	// invariants) or a store whose transformer they swap.
	tests := map[string]func(context.Context, *testing.T, *store, *Backend){
		"Create": func(ctx context.Context, t *testing.T, s *store, b *Backend) {
			storagetesting.RunTestCreate(ctx, t, s, checkStorageInvariants(b, s.codec))
		},
		"GetListNonRecursive": func(ctx context.Context, t *testing.T, s *store, b *Backend) {
			storagetesting.RunTestGetListNonRecursive(ctx, t, increaseRV(b), s)
		},
		"GuaranteedUpdate": func(ctx context.Context, t *testing.T, s *store, b *Backend) {
			storagetesting.RunTestGuaranteedUpdate(ctx, t, &storeWithPrefixTransformer{s}, checkStorageInvariants(b, s.codec))
		},
		"GuaranteedUpdateChecksStoredData": func(ctx context.Context, t *testing.T, s *store, _ *Backend) {
			storagetesting.RunTestGuaranteedUpdateChecksStoredData(ctx, t, &storeWithPrefixTransformer{s})
		},
		"TransformationFailure": func(ctx context.Context, t *testing.T, s *store, _ *Backend) {
			storagetesting.RunTestTransformationFailure(ctx, t, &storeWithPrefixTransformer{s})
		},
		"List": func(ctx context.Context, t *testing.T, s *store, b *Backend) {
			storagetesting.RunTestList(ctx, t, s, compactStorage(b), false, nil)
		},
		"ConsistentList": func(ctx context.Context, t *testing.T, s *store, b *Backend) {
			storagetesting.RunTestConsistentList(ctx, t, s, increaseRV(b), false, true, false)
		},
		"CompactRevision": func(ctx context.Context, t *testing.T, s *store, b *Backend) {
			storagetesting.RunTestCompactRevision(ctx, t, s, increaseRV(b), compactStorage(b))
		},
		"ListContinuation": func(ctx context.Context, t *testing.T, s *store, _ *Backend) {
			storagetesting.RunTestListContinuation(ctx, t, s, checkTransformerReads(s.transformer.(*storagetesting.PrefixTransformer)))
		},
		"ListPaginationRareObject": func(ctx context.Context, t *testing.T, s *store, _ *Backend) {
			storagetesting.RunTestListPaginationRareObject(ctx, t, s, checkTransformerReads(s.transformer.(*storagetesting.PrefixTransformer)))
		},
		"ListContinuationWithFilter": func(ctx context.Context, t *testing.T, s *store, _ *Backend) {
			storagetesting.RunTestListContinuationWithFilter(ctx, t, s, checkTransformerReads(s.transformer.(*storagetesting.PrefixTransformer)))
		},
		"ListInconsistentContinuation": func(ctx context.Context, t *testing.T, s *store, b *Backend) {
			storagetesting.RunTestListInconsistentContinuation(ctx, t, s, compactStorage(b))
		},
		"ListResourceVersionMatch": func(ctx context.Context, t *testing.T, s *store, _ *Backend) {
			storagetesting.RunTestListResourceVersionMatch(ctx, t, &storeWithPrefixTransformer{s})
		},
		"GetListWithoutErrorAggregation": func(ctx context.Context, t *testing.T, s *store, _ *Backend) {
			storagetesting.RunTestGetListWithoutErrorAggregation(ctx, t, &storeWithPrefixTransformer{s}, errors.New("bits flipped"))
		},
	}
	for name, run := range plain {
		tests[name] = func(ctx context.Context, t *testing.T, s *store, _ *Backend) { run(ctx, t, s) }
	}
	for name, run := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, s, b := suiteSetup(t)
			run(ctx, t, s, b)
		})
	}
}

func TestSuiteStats(t *testing.T) {
	for _, sizeEnabled := range []bool{true, false} {
		ctx, s, _ := suiteSetup(t)
		if sizeEnabled {
			if err := s.EnableResourceSizeEstimation(func(context.Context) ([]string, error) { return nil, nil }); err != nil {
				t.Fatal(err)
			}
		}
		storagetesting.RunTestStats(ctx, t, s, s.codec, s.transformer, sizeEnabled)
	}
}

func TestSuiteWatch(t *testing.T) {
	plain := map[string]func(context.Context, *testing.T, storage.Interface){
		"Watch":                                            storagetesting.RunTestWatch,
		"ClusterScopedWatch":                               storagetesting.RunTestClusterScopedWatch,
		"NamespaceScopedWatch":                             storagetesting.RunTestNamespaceScopedWatch,
		"DeleteTriggerWatch":                               storagetesting.RunTestDeleteTriggerWatch,
		"WatchFromNonZero":                                 storagetesting.RunTestWatchFromNonZero,
		"DelayedWatchDelivery":                             storagetesting.RunTestDelayedWatchDelivery,
		"WatchContextCancel":                               storagetesting.RunTestWatchContextCancel,
		"WatcherTimeout":                                   storagetesting.RunTestWatcherTimeout,
		"WatchDeleteEventObjectHaveLatestRV":               storagetesting.RunTestWatchDeleteEventObjectHaveLatestRV,
		"WatchInitializationSignal":                        storagetesting.RunTestWatchInitializationSignal,
		"SendInitialEventsBackwardCompatibility":           storagetesting.RunSendInitialEventsBackwardCompatibility,
		"WatchSemantics":                                   storagetesting.RunWatchSemantics,
		"WatchSemanticInitialEventsExtended":               storagetesting.RunWatchSemanticInitialEventsExtended,
		"WatchListMatchSingle":                             storagetesting.RunWatchListMatchSingle,
		"OptionalWatchBookmarksWithCorrectResourceVersion": storagetesting.RunTestOptionalWatchBookmarksWithCorrectResourceVersion,
	}
	for name, run := range plain {
		t.Run(name, func(t *testing.T) {
			ctx, s, _ := suiteSetup(t)
			run(ctx, t, s)
		})
	}
	t.Run("WatchFromZero", func(t *testing.T) {
		ctx, s, b := suiteSetup(t)
		storagetesting.RunTestWatchFromZero(ctx, t, s, compactStorage(b))
	})
	t.Run("WatchError", func(t *testing.T) {
		ctx, s, _ := suiteSetup(t)
		storagetesting.RunTestWatchError(ctx, t, &storeWithPrefixTransformer{s})
	})
	t.Run("ProgressNotify", func(t *testing.T) {
		ctx, s, b := suiteSetup(t, withBackendOptions(WithProgressNotifyInterval(time.Second)))
		storagetesting.RunOptionalTestProgressNotify(ctx, t, s, increaseRV(b))
	})
	t.Run("WatchDispatchBookmarkEvents", func(t *testing.T) {
		ctx, s, _ := suiteSetup(t, withBackendOptions(WithProgressNotifyInterval(time.Second)))
		storagetesting.RunTestWatchDispatchBookmarkEvents(ctx, t, s, true)
	})
	t.Run("WatchErrorEventIsBlockingFurtherEvent", func(t *testing.T) {
		ctx, s, _ := suiteSetup(t)
		storagetesting.RunWatchErrorIsBlockingFurtherEvents(ctx, t, &storeWithPrefixTransformer{s})
	})
	t.Run("WatchSemanticsWithConcurrentDecode", func(t *testing.T) {
		featuregatetesting.SetFeatureGateDuringTest(t, utilfeature.DefaultFeatureGate, features.ConcurrentWatchObjectDecode, true)
		ctx, s, _ := suiteSetup(t)
		storagetesting.RunWatchSemantics(ctx, t, s)
	})
}

var _ value.Transformer = prefixTransformer()

// Benchmarks from storagetesting/store_benchmarks.go, with dimensions scaled
// down from etcd3's (50x3000 pods) to suit a 2-core machine.
var benchDims = []struct{ namespaces, podsPerNamespace, nodes int }{
	{namespaces: 10, podsPerNamespace: 100, nodes: 100},
}

func BenchmarkSuiteWriteThroughput(b *testing.B) {
	for _, d := range benchDims {
		b.Run(fmt.Sprintf("Namespaces=%d/Pods=%d/Nodes=%d", d.namespaces, d.namespaces*d.podsPerNamespace, d.nodes), func(b *testing.B) {
			ctx, s, _ := suiteSetup(b)
			data := storagetesting.PrepareBenchmarkData(d.namespaces, d.podsPerNamespace, d.nodes)
			b.ResetTimer()
			storagetesting.RunBenchmarkWriteThroughput(ctx, b, s, data, false, nil)
		})
	}
}

func BenchmarkSuiteStoreList(b *testing.B) {
	for _, d := range benchDims {
		b.Run(fmt.Sprintf("Namespaces=%d/Pods=%d/Nodes=%d", d.namespaces, d.namespaces*d.podsPerNamespace, d.nodes), func(b *testing.B) {
			data := storagetesting.PrepareBenchmarkData(d.namespaces, d.podsPerNamespace, d.nodes)
			ctx, s, _ := suiteSetup(b)
			if err := storagetesting.PrecreateBenchmarkPods(ctx, s, data); err != nil {
				b.Fatal(err)
			}
			storagetesting.RunBenchmarkStoreList(ctx, b, s, data, false)
		})
	}
}

func BenchmarkSuiteStoreStats(b *testing.B) {
	data := storagetesting.PrepareBenchmarkData(benchDims[0].namespaces, benchDims[0].podsPerNamespace, benchDims[0].nodes)
	ctx, s, _ := suiteSetup(b)
	if err := storagetesting.PrecreateBenchmarkPods(ctx, s, data); err != nil {
		b.Fatal(err)
	}
	storagetesting.RunBenchmarkStoreStats(ctx, b, s)
}
