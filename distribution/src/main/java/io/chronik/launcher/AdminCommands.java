package io.chronik.launcher;

import java.util.function.Function;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * Admin socket commands that bundles contribute: a bundle registers a {@code java.util.function.Function<String, String>}
 * service with the property {@value #PROPERTY} naming the command; the command line's rest is its argument and its
 * result is the answer. A JDK interface, so the launcher and the bundle share the type without sharing a package.
 * Runs on the admin socket's thread and blocks as long as the command does.
 */
final class AdminCommands {
    static final String PROPERTY = "chronik.admin.command";

    private AdminCommands() {
    }

    /** Runs {@code line} ("name argument...") on the service that contributes {@code name}; never throws. */
    @SuppressWarnings("unchecked")
    static String run(BundleContext context, String line) {
        int space = line.indexOf(' ');
        String name = space < 0 ? line : line.substring(0, space);
        String argument = space < 0 ? "" : line.substring(space + 1).trim();
        if (!name.matches("[a-z][a-z0-9-]*")) {
            return "error: unknown command '" + line + "'\n";
        }
        ServiceReference<?>[] refs;
        try {
            refs = context.getServiceReferences(Function.class.getName(), "(" + PROPERTY + "=" + name + ")");
        } catch (InvalidSyntaxException e) {
            refs = null;
        }
        if (refs == null || refs.length == 0) {
            return "error: unknown command '" + name + "' (or the bundle that serves it is not ready)\n";
        }
        Object service = context.getService(refs[0]);
        try {
            String answer = ((Function<String, String>) service).apply(argument);
            return answer.endsWith("\n") ? answer : answer + "\n";
        } catch (RuntimeException e) {
            return "error: " + e.getMessage() + "\n";
        } finally {
            context.ungetService(refs[0]);
        }
    }
}
