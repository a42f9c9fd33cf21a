package io.chronik.raft.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Group commit for topic creation: the {@link MetaCommand.CreateTopic}s submitted on this node while one is on its
 * way through the metadata group go together as one {@link CreateTopics} entry once it is applied. A lone topic goes
 * at once and alone; a CreateTopics request of hundreds of topics (or many such requests at a time) becomes a few
 * entries instead of one per topic, whose Raft round, state copy and reconciliation would each grow with the number of
 * topics. At most one entry of this node's creations is in flight at a time, and at most {@code maxTopics} topics go in
 * one.
 *
 * <p>Thread-safe. {@link #submit} never blocks; results complete on whichever thread completes the send's future.
 */
final class CreateTopicBatcher {
    private record Pending(MetaCommand.CreateTopic command, CompletableFuture<MetaResult> result) {
    }

    private final Function<MetaCommand, CompletableFuture<MetaResult>> send;
    private final int maxTopics;
    private final List<Pending> queue = new ArrayList<>();
    private boolean inFlight;

    /**
     * @param send      submits one metadata command and completes with its result once it is applied on this node
     * @param maxTopics the most topics in one entry (at least 1)
     */
    CreateTopicBatcher(Function<MetaCommand, CompletableFuture<MetaResult>> send, int maxTopics) {
        if (maxTopics < 1) {
            throw new IllegalArgumentException("maxTopics must be >= 1, got " + maxTopics);
        }
        this.send = send;
        this.maxTopics = maxTopics;
    }

    /** Queues the creation; completes with its own outcome (never a {@link MetaResult.Many}) or the send's failure. */
    CompletableFuture<MetaResult> submit(MetaCommand.CreateTopic command) {
        CompletableFuture<MetaResult> result = new CompletableFuture<>();
        synchronized (this) {
            queue.add(new Pending(command, result));
            if (inFlight) {
                return result;
            }
            inFlight = true;
        }
        sendNext();
        return result;
    }

    private void sendNext() {
        List<Pending> batch;
        synchronized (this) {
            if (queue.isEmpty()) {
                inFlight = false;
                return;
            }
            List<Pending> head = queue.subList(0, Math.min(maxTopics, queue.size()));
            batch = new ArrayList<>(head);
            head.clear();
        }
        MetaCommand command;
        if (batch.size() == 1) {
            command = batch.get(0).command();
        } else {
            List<MetaCommand.CreateTopic> topics = new ArrayList<>(batch.size());
            batch.forEach(p -> topics.add(p.command()));
            command = new CreateTopics(topics);
        }
        CompletableFuture<MetaResult> sent;
        try {
            sent = send.apply(command);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((r, e) -> {
            try {
                complete(batch, r, e);
            } finally {
                sendNext();
            }
        });
    }

    private static void complete(List<Pending> batch, MetaResult r, Throwable e) {
        if (e == null && batch.size() > 1
                && !(r instanceof MetaResult.Many many && many.results().size() == batch.size())) {
            e = new IllegalStateException("a CREATE_TOPICS entry of " + batch.size() + " topics answered " + r);
        }
        for (int i = 0; i < batch.size(); i++) {
            CompletableFuture<MetaResult> f = batch.get(i).result();
            if (e != null) {
                f.completeExceptionally(e);
            } else {
                f.complete(batch.size() == 1 ? r : ((MetaResult.Many) r).results().get(i));
            }
        }
    }
}
