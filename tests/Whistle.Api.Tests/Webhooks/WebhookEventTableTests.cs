using Whistle.Api.Features.Webhooks;
using Whistle.Domain.Orders;

namespace Whistle.Api.Tests.Webhooks;

/// <summary>The one table of what each action publishes: it names every action, and every event comes from some action.</summary>
public class WebhookEventTableTests
{
    [Fact]
    public void Every_action_is_in_the_table_and_every_event_is_raised_by_some_action()
    {
        // An action the table does not name throws here: a new action must say what it publishes.
        var raised = Enum.GetValues<OrderAction>()
            .SelectMany(action => Enum.GetValues<OrderState>().Select(to => WebhookEvents.RaisedBy(action, to)))
            .Concat(Enum.GetValues<PartAction>().Select(WebhookEvents.RaisedBy))
            .OfType<string>()
            .Distinct();

        Assert.Equal(WebhookEvents.Names.Order(StringComparer.Ordinal), raised.Order(StringComparer.Ordinal));
    }
}
