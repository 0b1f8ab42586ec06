using Exchange.Client.Protocol;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Publishing;
using Exchange.Gateway.Routing;
using Exchange.Gateway.Security;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Tests;

/// <summary>The token rules of docs/protocol.md section 7 at the submitter, with a publisher that can refuse.</summary>
public sealed class TokenRulesTests
{
    private sealed class Publisher : ICommandPublisher
    {
        public bool Full;
        public List<long> Published { get; } = [];

        public void Start()
        {
        }

        public bool TryPublish(in Command command, long correlation, out long sequence)
        {
            sequence = Published.Count + 1;
            if (Full) return false;
            Published.Add(correlation);
            return true;
        }

        public void Dispose()
        {
        }
    }

    private static readonly Lazy<PasswordHash> Hash = new(() =>
    {
        PasswordHash.TryParse(PasswordHash.Create("x"), out var h, out _);
        return h!;
    });

    private static (UserStream, CommandSubmitter, Publisher) Make()
    {
        var stream = new UserStream(new User("t1", Role.Trader, 1, Hash.Value));
        var publisher = new Publisher();
        return (stream, new CommandSubmitter(new PendingTable(8), publisher), publisher);
    }

    private static void Submit(UserStream stream, CommandSubmitter submitter, uint token)
    {
        var bytes = Inbound.NewOrder(token, 1, 0, 0, 0, 0, 0, 0, 100, 1);
        InboundDecoder.Decode(bytes, out var m);
        var command = Command.NewOrder(1, 0, Side.Buy, OrderType.Limit, 100, 1, clientOrderId: token);
        submitter.Submit(stream, in m, in command);
    }

    private static byte Code(UserStream stream, int sequence) => stream.Log.Get(sequence)[14];

    [Fact]
    public void InputFull_RateLimited_TokenNotConsumed()
    {
        var (stream, submitter, publisher) = Make();
        publisher.Full = true;
        Submit(stream, submitter, 1);
        Assert.Equal((byte)RejectCode.RateLimited, Code(stream, 1));
        publisher.Full = false;
        Submit(stream, submitter, 1); // the same token, once there is room
        Assert.Single(publisher.Published);
        Assert.Equal(1, stream.Published);
    }

    [Fact]
    public void InFlightDuplicate_AnsweredWhenTheOutcomeArrives_PublishedOnce()
    {
        var (stream, submitter, publisher) = Make();
        Submit(stream, submitter, 5);
        Submit(stream, submitter, 5);
        Submit(stream, submitter, 5);
        Assert.Single(publisher.Published);
        Assert.Equal(0, stream.Log.Count);
        lock (stream.Gate)
        {
            var outcome = stream.Log.Append(new byte[] { (byte)'A', 1, 2, 3 });
            stream.Complete(5, outcome);
        }
        Assert.Equal(3, stream.Log.Count);
        Assert.True(stream.Log.Get(2).SequenceEqual(stream.Log.Get(1)) && stream.Log.Get(3).SequenceEqual(stream.Log.Get(1)));
    }

    [Fact]
    public void SkippedToken_RejectedDuplicate_AndThatStaysItsOutcome()
    {
        var (stream, submitter, publisher) = Make();
        Submit(stream, submitter, 10);
        Submit(stream, submitter, 4);
        Assert.Equal((byte)RejectCode.DuplicateClientOrderId, Code(stream, 1));
        Submit(stream, submitter, 4);
        Assert.True(stream.Log.Get(2).SequenceEqual(stream.Log.Get(1)));
        Assert.Single(publisher.Published);
    }
}
