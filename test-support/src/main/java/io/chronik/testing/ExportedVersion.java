package io.chronik.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/** The version at which a bundle on the test class path (a jar or a bnd-built classes directory) exports a package. */
final class ExportedVersion {
    private ExportedVersion() {
    }

    /**
     * The {@code version} attribute of the Export-Package clause for {@code type}'s package in the manifest of the jar
     * or classes directory {@code type} was loaded from. {@link AssertionError} if that manifest does not export it.
     */
    static String of(Class<?> type) {
        String pkg = type.getPackageName();
        Manifest manifest = manifestOf(type);
        String header = manifest == null ? null : manifest.getMainAttributes().getValue("Export-Package");
        if (header != null) {
            for (String clause : splitOutsideQuotes(header, ',')) {
                List<String> parts = splitOutsideQuotes(clause, ';');
                if (!parts.get(0).trim().equals(pkg)) {
                    continue;
                }
                for (String part : parts) {
                    String p = part.trim();
                    if (p.startsWith("version=")) {
                        return p.substring("version=".length()).replace("\"", "");
                    }
                }
                return "0.0.0";
            }
        }
        throw new AssertionError("the bundle holding " + type.getName() + " does not export " + pkg);
    }

    private static Manifest manifestOf(Class<?> type) {
        try {
            Path location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(location)) {
                Path file = location.resolve("META-INF/MANIFEST.MF");
                if (!Files.isRegularFile(file)) {
                    return null;
                }
                try (InputStream in = Files.newInputStream(file)) {
                    return new Manifest(in);
                }
            }
            try (JarFile jar = new JarFile(location.toFile())) {
                return jar.getManifest();
            }
        } catch (IOException | URISyntaxException e) {
            throw new AssertionError("cannot read the manifest of the bundle holding " + type.getName(), e);
        }
    }

    private static List<String> splitOutsideQuotes(String s, char separator) {
        List<String> parts = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == separator && !quoted) {
                parts.add(s.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(s.substring(start));
        return parts;
    }
}
