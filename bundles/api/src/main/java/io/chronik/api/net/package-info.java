/**
 * Network value types shared by bundles and the launcher: {@link io.chronik.api.net.HostPort}, the one parser of
 * {@code host:port} settings. JDK only, so the launcher can use it from its own class path.
 */
@Export
@Version("1.0.0")
package io.chronik.api.net;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
