-- Development seed, applied by scripts/dev after the migrations.
-- Generated from src/categories.rs by tests/dev_seed.rs; rewrite it with
-- `MISGASTOS_WRITE_SEED=1 cargo test --test dev_seed` instead of editing it.

INSERT INTO customers (id, name, home_currency, locale, time_zone)
VALUES ('dev-customer', 'Cliente de desarrollo', 'CLP', 'es-CL', 'America/Santiago')
ON CONFLICT (id) DO NOTHING;

INSERT INTO subscriptions (id, customer_id, plan, status, current_period_start, current_period_end)
SELECT 'dev-subscription', 'dev-customer', 'development', 'active',
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), '9999-12-31T00:00:00Z'
WHERE NOT EXISTS (SELECT 1 FROM subscriptions WHERE customer_id = 'dev-customer');

INSERT INTO channel_accounts (id, customer_id, kind, external_id)
VALUES ('acct-100200300400500', 'dev-customer', 'whatsapp', '100200300400500')
ON CONFLICT (kind, external_id) DO NOTHING;

-- One statement, so that the guard sees the customer's categories before
-- any of them is inserted.
INSERT INTO categories (id, customer_id, name, keywords, position)
SELECT column1, 'dev-customer', column2, column3, column4 FROM (VALUES
    ('dev-cat-0', 'Comida', 'almuerzo,cena,desayuno,once,café,cafe,restaurante,restorán,comida,sushi,pizza,completo,empanada,empanadas,hamburguesa,tacos,taco,helado,pan,rappi,pedidosya,ubereats,starbucks,mcdonalds,burger,kfc,domicilio,delivery,bebida,menú,menu', 0),
    ('dev-cat-1', 'Supermercado', 'supermercado,súper,super,jumbo,lider,líder,unimarc,tottus,santa isabel,walmart,soriana,chedraui,carrefour,coto,éxito,exito,d1,ara,feria,verduras,frutas,mercadería,mercaderia,abarrotes,despensa', 1),
    ('dev-cat-2', 'Transporte', 'uber,didi,cabify,taxi,metro,bus,micro,colectivo,bencina,gasolina,nafta,copec,shell,petrobras,ypf,estacionamiento,parking,peaje,tag,bip,subte,transmilenio,pasaje,vuelo,avión', 2),
    ('dev-cat-3', 'Hogar', 'arriendo,alquiler,renta,luz,agua,gas,internet,enel,aguas andinas,metrogas,gastos comunes,expensas,ferretería,sodimac,easy,homecenter,muebles,limpieza', 3),
    ('dev-cat-4', 'Salud', 'farmacia,doctor,médico,medico,dentista,consulta,remedios,medicamentos,cruz verde,ahumada,salcobrand,similares,isapre,fonasa,examen,clínica,clinica', 4),
    ('dev-cat-5', 'Entretenimiento', 'cine,netflix,spotify,disney,hbo,concierto,bar,cerveza,cervezas,trago,tragos,juego,juegos,steam,playstation,entradas,teatro,fiesta', 5),
    ('dev-cat-6', 'Compras', 'ropa,zapatos,zapatillas,polera,camisa,mercadolibre,mercado libre,amazon,falabella,paris,ripley,liverpool,zara,h&m,regalo,aliexpress,shein', 6),
    ('dev-cat-7', 'Educación', 'colegio,universidad,curso,libro,libros,matrícula,matricula,mensualidad,útiles,utiles,clases', 7),
    ('dev-cat-8', 'Servicios', 'teléfono,telefono,celular,plan,entel,movistar,claro,wom,telcel,suscripción,suscripcion,seguro,banco,comisión,comision,peluquería,peluqueria', 8),
    ('dev-cat-9', 'Otros', '', 9)
)
WHERE NOT EXISTS (SELECT 1 FROM categories WHERE customer_id = 'dev-customer');
