using Exchange.Client.Protocol;
using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Gateway.Protocol;
using Exchange.Gateway.Publishing;
using Exchange.Gateway.Routing;
using Exchange.Gateway.Security;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Tests;

/// <summary>The submitter's side of docs/protocol.md section 7, with a publisher that can refuse: a message the exchange
/// could not take consumes no token; every other one reaches the core, which applies the token rules.</summary>
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
        var stream = new UserStream(new User("t1", Role.Trader, 1, Hash.Value), new MessageLog(RetentionWindow.Unbounded));
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
    }

    [Fact]
    public void Resends_EveryOnePublished_TheCoreDecides()
    {
        var (stream, submitter, publisher) = Make();
        Submit(stream, submitter, 5);
        Submit(stream, submitter, 5);
        Submit(stream, submitter, 4);
        // No classification at the gateway: the core holds the token state (docs/architecture.md).
        Assert.Equal(3, publisher.Published.Count);
        Assert.Equal(0, stream.Log.Count);
    }
}
