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
/// could not take consumes no token (its RATE_LIMITED answer is a journaled gateway reject, from the ring's reserve);
/// every other one reaches the core, which applies the token rules.</summary>
public sealed class TokenRulesTests
{
    private sealed class Publisher : ICommandPublisher
    {
        /// <summary>Only the reserve is left: messages are refused, the gateway's rejects taken.</summary>
        public bool Full;
        /// <summary>Not even the reserve is left.</summary>
        public bool Saturated;
        public List<long> Published { get; } = [];
        public List<Command> Commands { get; } = [];

        public void Start()
        {
        }

        public bool TryPublish(in Command command, long correlation, bool reserve, out long sequence)
        {
            sequence = 0;
            if (Saturated || (Full && !reserve)) return false;
            Published.Add(correlation);
            Commands.Add(command);
            sequence = Published.Count;
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

    private static long Submit(UserStream stream, CommandSubmitter submitter, uint token)
    {
        var bytes = Inbound.NewOrder(token, 1, 0, 0, 0, 0, 0, 0, 100, 1);
        InboundDecoder.Decode(bytes, out var m);
        var command = Command.NewOrder(1, 0, Side.Buy, OrderType.Limit, 100, 1, clientOrderId: token);
        command.Origin = 1;
        command.Token = token;
        command.Timestamp = 77;
        return submitter.Submit(stream, in m, in command);
    }

    [Fact]
    public void InputFull_RateLimited_AsAJournaledGatewayReject_TokenNotConsumed()
    {
        var (stream, submitter, publisher) = Make();
        publisher.Full = true;
        Assert.Equal(1, Submit(stream, submitter, 1));
        // Not the order: its RATE_LIMITED answer, a gateway reject the core answers (no token consumed, never deduplicated).
        var reject = Assert.Single(publisher.Commands);
        Assert.Equal((CommandType.GatewayReject, RejectCode.RateLimited, Inbound.EnterOrder), (reject.Type, reject.RejectedCode, reject.RejectedMessageType));
        Assert.Equal((1u, 1u, 77L, 1), (reject.Origin, reject.Token, reject.Timestamp, reject.AccountId));
        Assert.Equal(0, stream.Log.Count);
        publisher.Full = false;
        Assert.Equal(2, Submit(stream, submitter, 1)); // the same token, once there is room
        Assert.Equal(CommandType.NewOrder, publisher.Commands[^1].Type);
    }

    [Fact]
    public void Saturated_NothingPublished_TheSessionWaitsToPublishTheReject()
    {
        var (stream, _, publisher) = Make();
        var rejects = new Gateway.Metrics.GatewayRejects();
        var submitter = new CommandSubmitter(new PendingTable(8), publisher, rejects);
        publisher.Saturated = true;
        Assert.Equal(0, Submit(stream, submitter, 1));
        Assert.Empty(publisher.Published);
        Assert.Equal(0, stream.Log.Count);
        // The session retries the reject until it is taken: counted once, then.
        InboundDecoder.Decode(Inbound.NewOrder(1, 1, 0, 0, 0, 0, 0, 0, 100, 1), out var m);
        Assert.Equal(0, submitter.Reject(stream, 1, in m, 77, RejectCode.RateLimited));
        Assert.Equal(0, rejects[RejectCode.RateLimited]);
        publisher.Saturated = false;
        Assert.Equal(1, submitter.Reject(stream, 1, in m, 77, RejectCode.RateLimited));
        Assert.Equal(1, rejects[RejectCode.RateLimited]);
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
