// The translation unit that holdfast_test_pch compiles its precompiled header with.
