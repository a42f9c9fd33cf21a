package io.chronik.launcher;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

import io.chronik.api.store.ObjectStore;
import io.chronik.api.store.ObjectStoreStatus;

/**
 * A snapshot of a running node: every bundle with its state, every Declarative Services component with the
 * state of each of its configurations, and the problems that keep the node from being healthy (a bundle that is
 * not active, a component that is unsatisfied, failed to activate or waits for a required configuration, an object
 * store whose provider reports it unavailable).
 *
 * <p>The launcher lives outside the framework and does not share the Service Component Runtime's API classes
 * with the SCR bundle, so the runtime's DTOs are read reflectively through their public fields, which the DS
 * specification defines.
 */
final class NodeStatus {
    private static final String SCR = "org.osgi.service.component.runtime.ServiceComponentRuntime";

    final List<String> bundles = new ArrayList<>();
    final List<String> components = new ArrayList<>();
    final List<String> stores = new ArrayList<>();
    final List<String> problems = new ArrayList<>();

    boolean healthy() {
        return problems.isEmpty();
    }

    static NodeStatus of(BundleContext context) {
        NodeStatus status = new NodeStatus();
        for (Bundle b : context.getBundles()) {
            boolean fragment = b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            String state = stateName(b.getState());
            status.bundles.add(String.format("%4d  %-10s %s %s", b.getBundleId(), fragment ? "FRAGMENT" : state,
                    b.getSymbolicName(), b.getVersion()));
            if (!fragment && b.getState() != Bundle.ACTIVE) {
                status.problems.add("bundle " + b.getSymbolicName() + " is " + state);
            }
        }
        status.readStores(context);
        // all references, not only those whose class the system bundle's class loader sees as the same: a host whose
        // class path holds org.osgi.service.component too (an embedded node, EmbeddedNode) would otherwise see none
        ServiceReference<?> ref = null;
        try {
            ServiceReference<?>[] refs = context.getAllServiceReferences(SCR, null);
            ref = refs == null || refs.length == 0 ? null : refs[0];
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e); // no filter
        }
        if (ref == null) {
            status.problems.add("the Declarative Services runtime (Felix SCR) is not running");
            return status;
        }
        Object scr = context.getService(ref);
        try {
            status.readComponents(scr);
        } catch (ReflectiveOperationException | RuntimeException e) {
            status.problems.add("cannot read component states: " + e);
        } finally {
            context.ungetService(ref);
        }
        return status;
    }

    /**
     * The registered object stores, and the stores whose provider reports them unavailable (configured but cannot be
     * reached, see {@link ObjectStoreStatus}), with the reason. An unavailable store is a problem if it is the one
     * the node was started with ({@code --object-store}, framework property {@code chronik.object.store}); another one is
     * only listed, since the node does not need it (the archive keeps its store while a new target is unavailable).
     * Read from service properties only.
     */
    private void readStores(BundleContext context) {
        String selected = context.getProperty(Setting.OBJECT_STORE.property());
        try {
            ServiceReference<?>[] registered = context.getAllServiceReferences(ObjectStore.class.getName(), null);
            for (ServiceReference<?> r : registered == null ? new ServiceReference<?>[0] : registered) {
                stores.add(String.format("%-14s %s (%s)", "AVAILABLE", r.getProperty(ObjectStore.STORE_NAME),
                        r.getBundle() == null ? "unregistered" : r.getBundle().getSymbolicName()));
            }
            ServiceReference<?>[] statuses = context.getAllServiceReferences(ObjectStoreStatus.class.getName(), null);
            for (ServiceReference<?> r : statuses == null ? new ServiceReference<?>[0] : statuses) {
                Object state = r.getProperty(ObjectStoreStatus.STATE);
                if (ObjectStoreStatus.AVAILABLE.equals(state)) {
                    continue; // listed above
                }
                Object name = r.getProperty(ObjectStore.STORE_NAME);
                Object problem = r.getProperty(ObjectStoreStatus.PROBLEM);
                stores.add(String.format("%-14s %s (%s)%s", String.valueOf(state).toUpperCase(java.util.Locale.ROOT), name,
                        r.getBundle() == null ? "unregistered" : r.getBundle().getSymbolicName(),
                        problem == null ? "" : ": " + problem));
                if (ObjectStoreStatus.UNAVAILABLE.equals(state) && String.valueOf(name).equals(selected)) {
                    problems.add("the object store of --object-store is unavailable: " + problem);
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e); // no filter
        }
    }

    private void readComponents(Object scr) throws ReflectiveOperationException {
        Method descriptions = scr.getClass().getMethod("getComponentDescriptionDTOs", Bundle[].class);
        Class<?> descType = scr.getClass().getClassLoader()
                .loadClass("org.osgi.service.component.runtime.dto.ComponentDescriptionDTO");
        Method configurations = scr.getClass().getMethod("getComponentConfigurationDTOs", descType);
        Method enabled = scr.getClass().getMethod("isComponentEnabled", descType);
        for (Object desc : (Collection<?>) descriptions.invoke(scr, (Object) new Bundle[0])) {
            String name = (String) field(desc, "name");
            Object bundle = field(desc, "bundle");
            String owner = (String) field(bundle, "symbolicName");
            if (!(Boolean) enabled.invoke(scr, desc)) {
                components.add(String.format("%-14s %s (%s)", "DISABLED", name, owner));
                continue;
            }
            Collection<?> configs = (Collection<?>) configurations.invoke(scr, desc);
            if (configs.isEmpty()) {
                components.add(String.format("%-14s %s (%s)", "NO-CONFIG", name, owner));
                problems.add("component " + name + " waits for its required configuration "
                        + String.join(",", (String[]) field(desc, "configurationPid")));
            }
            for (Object config : configs) {
                int state = (Integer) field(config, "state");
                String label = componentState(state);
                components.add(String.format("%-14s %s (%s)", label, name, owner));
                if (state == 2) { // UNSATISFIED_REFERENCE
                    List<String> refs = new ArrayList<>();
                    Object unsatisfied = field(config, "unsatisfiedReferences");
                    for (int i = 0; i < Array.getLength(unsatisfied); i++) {
                        Object u = Array.get(unsatisfied, i);
                        refs.add(field(u, "name") + (field(u, "target") == null ? "" : " " + field(u, "target")));
                    }
                    problems.add("component " + name + " has unsatisfied references: " + String.join(", ", refs));
                } else if (state == 16) { // FAILED_ACTIVATION
                    String failure = (String) field(config, "failure");
                    problems.add("component " + name + " failed to activate: " + firstLine(failure));
                } else if (state == 1) {
                    problems.add("component " + name + " waits for its configuration");
                }
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown reason";
        }
        String line = s.lines().findFirst().orElse(s).trim();
        // the failure text is a stack trace; its first line is "ExceptionClass: message"
        int colon = line.indexOf(": ");
        return colon > 0 && line.substring(0, colon).indexOf(' ') < 0 ? line.substring(colon + 2) : line;
    }

    private static Object field(Object dto, String name) throws ReflectiveOperationException {
        return dto.getClass().getField(name).get(dto);
    }

    static String stateName(int state) {
        return switch (state) {
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "UNKNOWN(" + state + ")";
        };
    }

    private static String componentState(int state) {
        return switch (state) {
            case 1 -> "UNSATISFIED-CFG";
            case 2 -> "UNSATISFIED";
            case 4 -> "SATISFIED";
            case 8 -> "ACTIVE";
            case 16 -> "FAILED";
            default -> "STATE(" + state + ")";
        };
    }

    /** The report printed by {@code chronik status}. */
    String render() {
        StringBuilder out = new StringBuilder();
        out.append("status: ").append(healthy() ? "healthy" : "unhealthy").append('\n');
        out.append("bundles:\n");
        bundles.forEach(b -> out.append("  ").append(b).append('\n'));
        out.append("components:\n");
        components.forEach(c -> out.append("  ").append(c).append('\n'));
        out.append("object stores:\n");
        stores.forEach(st -> out.append("  ").append(st).append('\n'));
        if (!problems.isEmpty()) {
            out.append("problems:\n");
            problems.forEach(p -> out.append("  ").append(p).append('\n'));
        }
        return out.toString();
    }
}
