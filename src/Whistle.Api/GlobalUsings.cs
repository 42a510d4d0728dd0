// What nearly every feature slice imports, stated once: a slice's head then names only what is particular to it.
global using System.ComponentModel;
global using FluentValidation;
global using Mediator;
global using Microsoft.AspNetCore.Http.HttpResults;
global using Microsoft.EntityFrameworkCore;
global using Whistle.Api.Features.Access;
global using Whistle.Api.Infrastructure;
global using Whistle.Api.Persistence;
global using Whistle.Domain.Orders;
