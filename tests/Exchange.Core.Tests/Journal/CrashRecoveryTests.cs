using Exchange.Core.Journal;
using Exchange.Core.Pipeline;
using Exchange.Core.Tests.Pipeline;
using Exchange.CrashHost;
using Xunit.Abstractions;

namespace Exchange.Core.Tests.Journal;

/// <summary>
/// The durability promise against a real crash: the journaled pipeline runs in a child process that is SIGKILLed
/// mid-stream, twice, and the state recovered from its directory holds every acknowledged command and equals a direct
/// replay of the same commands.
/// </summary>
[Collection(PipelineThreadsCollection.Name)]
public sealed class CrashRecoveryTests(ITestOutputHelper log)
{
    private const int Seed = 20_261_123;

    // Far more than the host gets through before it is killed, so every kill lands mid-stream.
    private const int Count = 200_000;

    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void SigkilledHost_LosesNoAcknowledgedCommand_AndRecoversTheStateOfADirectReplay()
    {
        using var directory = new TempDirectory();
        long lastAcked = 0;
        // Run 1 with the parallel topology, run 2 single-threaded from what run 1 left: same guarantees, same journal.
        for (int run = 1; run <= 2; run++)
        {
            using var host = new CrashHostProcess(directory.Path, Seed, Count,
                run == 1 ? PipelineTopology.Parallel : PipelineTopology.SingleThread);
            // Each run starts where recovery left the last one and is killed a few thousand acks later.
            host.WaitForAck(lastAcked + 3_000, AckTimeout);
            host.Kill();

            // Acks are gap-free and ordered, continuing from the recovered state's numbering.
            Assert.Equal(lastAcked + 1, host.Acks[0]);
            Assert.Equal(JournalFixture.Range(host.Acks[0], host.Acks.Count), host.Acks);
            lastAcked = host.Acks[^1];

            var recovered = Recovery.Recover(CrashHostOptions.For(directory.Path), CrashWorkload.CreateExchange);
            log.WriteLine($"run {run}: acked {host.Acks[0]}..{lastAcked}, recovered to {recovered.LastSequence} from snapshot " +
                $"{recovered.Snapshot?.Sequence ?? 0} + {recovered.ReplayedCommands} journaled commands, torn tail: {recovered.TornTail is not null}");

            Assert.True(recovered.LastSequence >= lastAcked,
                $"run {run}: acknowledged up to {lastAcked} but recovered only to {recovered.LastSequence}");
            var commands = CrashWorkload.Generate(Seed, (int)recovered.LastSequence);
            var direct = PipelineWorkload.ApplyDirectly(commands).Exchange;
            Assert.Equal(direct.StateHash(), recovered.Exchange.StateHash());
            PipelineWorkload.AssertInvariants(recovered.Exchange);
            lastAcked = recovered.LastSequence;
        }
    }
}
