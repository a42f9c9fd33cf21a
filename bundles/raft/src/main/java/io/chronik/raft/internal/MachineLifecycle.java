package io.chronik.raft.internal;

import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.util.LifeCycle;

/**
 * The life cycle transitions Ratis expects of a state machine around a snapshot installation: it pauses the machine
 * before it writes an installed snapshot (on every chunk) and reloads it only if it is paused.
 */
final class MachineLifecycle {
    private MachineLifecycle() {
    }

    /** The machine is (again) running: after initialisation, or after reloading an installed snapshot. */
    static void running(BaseStateMachine m) {
        LifeCycle lc = m.getLifeCycle();
        LifeCycle.State s = lc.getCurrentState();
        if (s == LifeCycle.State.NEW || s == LifeCycle.State.PAUSED) {
            lc.transition(LifeCycle.State.STARTING);
        }
        if (lc.getCurrentState() == LifeCycle.State.STARTING) {
            lc.transition(LifeCycle.State.RUNNING);
        }
    }

    /** Ratis is about to install a snapshot: pause (idempotent; Ratis calls it for every chunk). */
    static void paused(BaseStateMachine m) {
        LifeCycle lc = m.getLifeCycle();
        synchronized (lc) {
            if (lc.getCurrentState() == LifeCycle.State.RUNNING) {
                lc.transition(LifeCycle.State.PAUSING);
                lc.transition(LifeCycle.State.PAUSED);
            }
        }
    }
}
