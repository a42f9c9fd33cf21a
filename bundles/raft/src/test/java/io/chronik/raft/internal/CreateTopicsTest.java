package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * Topic creation in batches: a {@link CreateTopics} entry reaches the state its topics would reach one entry each, a
 * refused topic does not stop the others, and the {@link CreateTopicBatcher} sends what queues up while one entry is
 * in flight as one entry and hands each caller its own outcome.
 */
public class CreateTopicsTest {

    private static MetadataState threeBrokers() {
        MetadataState s = MetadataState.EMPTY;
        for (int i = 1; i <= 3; i++) {
            s = new MetaCommand.RegisterBroker(i, "h" + i, 9092, null, "r" + i, 5001, "c").apply(s).state();
        }
        return s;
    }

    private static MetaCommand.CreateTopic topic(String name, int partitions, int rf) {
        return new MetaCommand.CreateTopic(name, new UUID(name.hashCode(), 7), partitions, rf, Map.of(), 3);
    }

    @Test
    public void oneEntryReachesTheStateOfOneEntryPerTopic() throws Exception {
        List<MetaCommand.CreateTopic> topics = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            topics.add(topic("t" + i, 1 + i % 4, 1 + i % 3));
        }
        MetadataState oneByOne = threeBrokers();
        for (MetaCommand.CreateTopic t : topics) {
            oneByOne = t.apply(oneByOne).state();
        }
        MetaCommand decoded = MetaCommand.decode(new CreateTopics(topics).encode());
        MetaCommand.Applied batched = decoded.apply(threeBrokers());

        assertEquals(new CreateTopics(topics), decoded);
        assertEquals(oneByOne.topics, batched.state().topics);
        assertEquals(oneByOne.groups, batched.state().groups);
        assertEquals(oneByOne.nextGroupNo, batched.state().nextGroupNo);
        MetaResult.Many many = (MetaResult.Many) batched.result();
        assertEquals(50, many.results().size());
        assertEquals(50, many.orThrow().value());
    }

    @Test
    public void aRefusedTopicDoesNotStopTheOthers() throws Exception {
        MetadataState s = topic("exists", 1, 1).apply(threeBrokers()).state();
        CreateTopics cmd = new CreateTopics(List.of(topic("a", 2, 3), topic("exists", 1, 1), topic("toomany", 1, 4),
                topic("b", 1, 2), topic("a", 5, 1)));
        MetaCommand.Applied applied = cmd.apply(s);

        List<MetaResult> results = ((MetaResult.Many) applied.result()).results();
        assertTrue(results.get(0) instanceof MetaResult.Ok);
        assertEquals(Reason.TOPIC_EXISTS, ((MetaResult.Failed) results.get(1)).error());
        assertEquals(Reason.INVALID_REPLICATION_FACTOR, ((MetaResult.Failed) results.get(2)).error());
        assertTrue(results.get(3) instanceof MetaResult.Ok);
        assertEquals("the second 'a' finds the first", Reason.TOPIC_EXISTS, ((MetaResult.Failed) results.get(4)).error());
        assertEquals(2, applied.state().topics.get("a").groups().size());
        assertNull(applied.state().topics.get("toomany"));
        assertTrue(applied.result().tookEffect());
        try {
            applied.result().orThrow();
            throw new AssertionError("a Many with a failure must throw");
        } catch (ConsensusException e) {
            assertEquals(Reason.TOPIC_EXISTS, e.reason());
        }
        MetaResult decoded = MetaResult.decode(new DataInputStream(new ByteArrayInputStream(applied.result().encode())));
        assertEquals(applied.result(), decoded);
    }

    @Test
    public void nothingCreatedLeavesTheStateAsItWas() {
        MetadataState s = topic("x", 1, 1).apply(threeBrokers()).state();
        MetaCommand.Applied applied = new CreateTopics(List.of(topic("x", 1, 1), topic("y", 1, 9))).apply(s);
        assertSame(s, applied.state());
        assertTrue(!applied.result().tookEffect());
    }

    @Test
    public void theBatcherSendsWhatQueuesWhileOneEntryIsInFlight() throws Exception {
        List<MetaCommand> sent = new ArrayList<>();
        List<CompletableFuture<MetaResult>> replies = new ArrayList<>();
        MetadataState[] state = {threeBrokers()};
        CreateTopicBatcher batcher = new CreateTopicBatcher(cmd -> {
            sent.add(cmd);
            MetaCommand.Applied a = cmd.apply(state[0]);
            state[0] = a.state();
            CompletableFuture<MetaResult> reply = new CompletableFuture<>();
            replies.add(reply);
            return reply.thenApply(v -> a.result());
        }, 3);

        CompletableFuture<MetaResult> first = batcher.submit(topic("a", 1, 1));
        List<CompletableFuture<MetaResult>> queued = new ArrayList<>();
        for (String n : List.of("b", "c", "a", "d")) {
            queued.add(batcher.submit(topic(n, 1, 1)));
        }
        assertEquals("the first goes alone and at once", 1, sent.size());
        assertTrue(sent.get(0) instanceof MetaCommand.CreateTopic);

        replies.get(0).complete(null);
        assertTrue(first.get(1, TimeUnit.SECONDS) instanceof MetaResult.Ok);
        assertEquals("the next three go as one entry", 2, sent.size());
        assertEquals(3, ((CreateTopics) sent.get(1)).topics().size());

        replies.get(1).complete(null);
        assertTrue(queued.get(0).get(1, TimeUnit.SECONDS) instanceof MetaResult.Ok);
        assertTrue(queued.get(1).get(1, TimeUnit.SECONDS) instanceof MetaResult.Ok);
        assertEquals(Reason.TOPIC_EXISTS, ((MetaResult.Failed) queued.get(2).get(1, TimeUnit.SECONDS)).error());
        assertEquals("then the one left over", 3, sent.size());

        replies.get(2).completeExceptionally(new ConsensusException(Reason.TIMEOUT, "not committed"));
        try {
            queued.get(3).get(1, TimeUnit.SECONDS);
            throw new AssertionError("a failed send fails its topics");
        } catch (ExecutionException e) {
            assertEquals(Reason.TIMEOUT, ((ConsensusException) e.getCause()).reason());
        }
        CompletableFuture<MetaResult> after = batcher.submit(topic("e", 1, 1));
        assertEquals("idle again: the next goes at once", 4, sent.size());
        replies.get(3).complete(null);
        assertTrue(after.get(1, TimeUnit.SECONDS) instanceof MetaResult.Ok);
    }
}
