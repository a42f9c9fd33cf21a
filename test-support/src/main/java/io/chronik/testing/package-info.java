/**
 * Test code shared by the bundles' tests: provider contract tests and OSGi test helpers. Test scope only.
 */
package io.chronik.testing;
