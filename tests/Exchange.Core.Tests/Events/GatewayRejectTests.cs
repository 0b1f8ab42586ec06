using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Journal;
using Exchange.Core.Tests.Support;

namespace Exchange.Core.Tests.Events;

/// <summary>
/// A message the gateway refused is journaled as a <see cref="CommandType.GatewayReject"/> (docs/protocol.md section 8):
/// the core answers it with one GatewayRejected event carrying what the J echoes, changes nothing but the last sequence,
/// and never looks at its token, so the token stays free for the resend.
/// </summary>
public class GatewayRejectTests
{
    private static Market Funded()
    {
        var m = new Market();
        m.Deposit(1, 100_000);
        m.Deposit(2, 100_000);
        m.Mark(120_000);
        m.Sell(2, 120_010, 5);
        return m;
    }

    private static Command Reject(byte type, RejectCode code, uint account, int instrument, long orderId, uint token) =>
        Command.GatewayRejected(type, code, account, instrument, orderId) with { Origin = 1, Token = token, Timestamp = 1_700_000_000_123 };

    [Fact]
    public void AGatewayReject_IsAnsweredAlone_ChangesNothingButTheLastSequence_AndConsumesNoToken()
    {
        var m = Funded();
        var twin = Funded();

        var ev = m.Do(Reject((byte)'O', RejectCode.RateLimited, 1, 0, 0, token: 5));

        var e = Assert.Single(ev);
        Assert.Equal((EventType.GatewayRejected, CommandType.GatewayReject, RejectCode.RateLimited), (e.Type, e.CommandType, e.Reason));
        Assert.Equal((1, 0, 0L, (byte)'O', 1_700_000_000_123L), (e.AccountId, e.InstrumentId, e.OrderId, e.RejectedMessageType, e.Timestamp));
        Assert.Equal(e.Sequence, m.X.LastSequence);
        // The same state as without it, but for the last sequence (which the hash covers).
        twin.X.LastSequence = m.X.LastSequence;
        Assert.Equal(twin.X.StateHash(), m.X.StateHash());

        // Token 5 was not consumed: the order the client sends again with it executes.
        var order = Command.Limit(1, m.Btc, Side.Buy, 120_010, 2) with { Origin = 1, Token = 5 };
        Assert.Contains(m.Do(order), x => x.Type == EventType.Trade);
        // A reject of a message with an applied token is a reject again, never a duplicate's answer.
        Assert.Equal(EventType.GatewayRejected, Assert.Single(m.Do(Reject((byte)'O', RejectCode.NotAuthorized, 1, 0, 0, token: 5))).Type);
        // And the order's own resend is the duplicate, as before.
        Assert.Equal(EventType.Duplicate, Assert.Single(m.Do(order)).Type);
        m.AssertInvariants();
    }

    [Fact]
    public void WhatAMalformedMessageCarries_SurvivesTheJournal_AndComesBackInTheEvent()
    {
        // An account past 2^31 - 1, an instrument the message did not decode (-1), an unknown type letter.
        var command = Reject((byte)'Z', RejectCode.Malformed, uint.MaxValue - 7, -1, long.MaxValue - 3, token: uint.MaxValue) with { Sequence = 42 };
        var record = new byte[JournalBatch.RecordSize];
        JournalBatch.Write(record, command);
        Assert.True(JournalBatch.TryRead(record, out var read));

        var x = new Exchange();
        var e = Assert.Single(x.Apply(in read).ToArray());
        Assert.Equal((RejectCode.Malformed, uint.MaxValue - 7, -1, long.MaxValue - 3, (byte)'Z'),
            (e.Reason, (uint)e.AccountId, e.InstrumentId, e.OrderId, e.RejectedMessageType));
        Assert.Equal((42L, 42L), (e.Sequence, x.LastSequence));
        Assert.Equal((uint.MaxValue, 1u), (read.Token, read.Origin));
    }
}
