using Whistle.Api.Features.Orders;

namespace Whistle.Api.Features.Published;

/// <summary>
/// An admin decides what the results list leaves out (<see cref="Publication"/> reads these): an order held back
/// (a private home, a case still in court), or a whole category kept private. Both are the desk's own: never published.
/// </summary>
public static class ManagePublication
{
    /// <param name="Withheld">true holds the order back from the results list; false publishes it again (when finished).</param>
    /// <param name="Reason">Why, for the desk (required to hold back; up to 2,000 characters).</param>
    public sealed record OrderRequest(bool? Withheld, string? Reason = null);

    /// <param name="Withheld">Whether the order is held back from the results list.</param>
    /// <param name="Reason">The desk's reason.</param>
    public sealed record OrderPublication(string Code, bool Withheld, string? Reason, string? HeldBy, DateTimeOffset? HeldAt);

    /// <param name="Private">true keeps every order of the category off the results list; false publishes them again.</param>
    public sealed record CategoryRequest(bool? Private);

    public sealed record CategoryPublication(string CategoryCode, bool Private);

    public sealed record HoldCommand(string Key, OrderRequest Request, Caller Caller) : ICommand<OrderPublication>;

    public sealed class HoldValidator : AbstractValidator<HoldCommand>
    {
        public HoldValidator()
        {
            RuleFor(c => c.Request.Withheld).NotNull().OverridePropertyName("withheld");
            RuleFor(c => c.Request.Reason).NotEmpty().When(c => c.Request.Withheld == true)
                .WithMessage("Say why the order is held back (the desk's record).").OverridePropertyName("reason");
            RuleFor(c => c.Request.Reason).MaximumLength(2000).OverridePropertyName("reason");
        }
    }

    public sealed class HoldHandler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<HoldCommand, OrderPublication>
    {
        public async ValueTask<OrderPublication> Handle(HoldCommand command, CancellationToken cancellationToken)
        {
            var order = await db.Orders.AsNoTracking().WhereKey(command.Key).Select(o => new { o.Id, o.Number }).SingleOrDefaultAsync(cancellationToken)
                ?? throw OrderStore.NotFound(command.Key);
            var code = OrderCode.Format(order.Number);
            var hold = await db.PublicationHolds.SingleOrDefaultAsync(h => h.OrderId == order.Id, cancellationToken);
            if (command.Request.Withheld == true)
            {
                if (hold is not null)
                {
                    db.PublicationHolds.Remove(hold);
                    await db.SaveChangesAsync(cancellationToken);
                }
                hold = new PublicationHold { OrderId = order.Id, Reason = command.Request.Reason!.Trim(), HeldBy = command.Caller.Actor.Name, HeldAt = clock.Now() };
                db.PublicationHolds.Add(hold);
                await db.SaveChangesAsync(cancellationToken);
                return new OrderPublication(code, true, hold.Reason, hold.HeldBy, hold.HeldAt);
            }
            if (hold is not null)
            {
                db.PublicationHolds.Remove(hold);
                await db.SaveChangesAsync(cancellationToken);
            }
            return new OrderPublication(code, false, null, null, null);
        }
    }

    public sealed record CategoryCommand(string Code, CategoryRequest Request, Caller Caller) : ICommand<CategoryPublication>;

    public sealed class CategoryValidator : AbstractValidator<CategoryCommand>
    {
        public CategoryValidator() => RuleFor(c => c.Request.Private).NotNull().OverridePropertyName("private");
    }

    public sealed class CategoryHandler(WhistleDbContext db, TimeProvider clock) : ICommandHandler<CategoryCommand, CategoryPublication>
    {
        public async ValueTask<CategoryPublication> Handle(CategoryCommand command, CancellationToken cancellationToken)
        {
            if (!await db.Categories.AnyAsync(c => c.Code == command.Code, cancellationToken))
            {
                throw new NotFoundException($"No category has the code '{command.Code}'.");
            }
            var marked = await db.PrivateCategories.SingleOrDefaultAsync(c => c.CategoryCode == command.Code, cancellationToken);
            if (command.Request.Private == true && marked is null)
            {
                db.PrivateCategories.Add(new PrivateCategory { CategoryCode = command.Code, MarkedBy = command.Caller.Actor.Name, MarkedAt = clock.Now() });
            }
            else if (command.Request.Private == false && marked is not null)
            {
                db.PrivateCategories.Remove(marked);
            }
            await db.SaveChangesAsync(cancellationToken);
            return new CategoryPublication(command.Code, command.Request.Private == true);
        }
    }

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/orders").MapPut("/{id}/publication", async Task<Ok<OrderPublication>> (
                string id, OrderRequest request, IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new HoldCommand(id, request, http.GetCaller()), cancellationToken)))
            .WithTags("Published results")
            .WithName("SetOrderPublication")
            .WithSummary("Hold an order back from the results list, or publish it again")
            .WithDescription("Admins only. A held-back order never appears on the results list, nor its photos; the reason is the desk's, never published.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireOperation(Operation.ManagePublication);
        app.MapGroup("/api/v1/categories").MapPut("/{code}/publication", async Task<Ok<CategoryPublication>> (
                string code, CategoryRequest request, IMediator mediator, HttpContext http, CancellationToken cancellationToken) =>
                TypedResults.Ok(await mediator.Send(new CategoryCommand(code, request, http.GetCaller()), cancellationToken)))
            .WithTags("Published results")
            .WithName("SetCategoryPublication")
            .WithSummary("Keep a category off the results list, or publish it again")
            .WithDescription("Admins only. No order of a private category appears on the results list, and the list's figures are not given for it.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireOperation(Operation.ManagePublication);
    }
}
