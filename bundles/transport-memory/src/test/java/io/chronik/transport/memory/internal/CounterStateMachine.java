package io.chronik.transport.memory.internal;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.ratis.protocol.Message;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;

/** A state machine that counts the entries applied to it; a query returns the count. */
final class CounterStateMachine extends BaseStateMachine {
    final AtomicLong count = new AtomicLong();

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        TermIndex ti = TermIndex.valueOf(trx.getLogEntry());
        updateLastAppliedTermIndex(ti.getTerm(), ti.getIndex());
        return CompletableFuture.completedFuture(Message.valueOf(Long.toString(count.incrementAndGet())));
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        return CompletableFuture.completedFuture(Message.valueOf(Long.toString(count.get())));
    }

    static long value(Message m) {
        return Long.parseLong(m.getContent().toString(StandardCharsets.UTF_8));
    }
}
